"""Hand-written hostile checkpoints for ``baselines.safe_load``: pickles an attacker writes opcode by opcode.

Each file is a real ``torch.save`` zip whose ``data.pkl`` is replaced by the attacker's pickle, so the loader
reaches the pickle exactly as it would for a downloaded checkpoint. The dangerous cases run in a subprocess:
before the fix, the numpy subarray graft crashed the interpreter (segmentation fault).
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from baselines.safe_load import UnsafeFileError, load_torch_file
from comsamy.errors import ConfigError

_DTYPE_F8 = b"cnumpy\ndtype\nX\x02\x00\x00\x00f8\x89\x88\x87R"  # numpy.dtype('f8', False, True)
_SCALAR = b"cnumpy._core.multiarray\nscalar\n"
_NONE_STATE_TAIL = b"J\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"  # elsize -1, alignment -1, flags 0, BUILD


def _bytes_arg(data: bytes) -> bytes:
    """``_codecs.encode(str, 'latin1')``: how protocol-2 pickles (and torch.save) spell bytes."""
    text = data.decode("latin1").encode("utf-8")
    return b"c_codecs\nencode\nX" + len(text).to_bytes(4, "little") + text + b"X\x06\x00\x00\x00latin1\x86R"


def _dtype_with_state(subarray: bytes = b"N", names: bytes = b"N", fields: bytes = b"N") -> bytes:
    """A float64 dtype followed by BUILD with the given (subarray, names, fields) of its pickled state."""
    return _DTYPE_F8 + b"(K\x03X\x01\x00\x00\x00<" + subarray + names + fields + _NONE_STATE_TAIL


def _huge_subarray() -> bytes:
    return _DTYPE_F8 + b"\x8a\x06" + (1 << 40).to_bytes(6, "little") + b"\x85\x86"  # (dtype f8, (2**40,))


def _checkpoint(
    tmp: Path,
    pickle_body: bytes,
    name: str = "evil.pth",
    *,
    extra: dict[str, bytes] | None = None,
    rename: dict[str, str] | None = None,
) -> Path:
    """A torch.save zip whose ``data.pkl`` is ``{'x': <pickle_body>}``, plus extra / renamed records."""
    buf = io.BytesIO()
    torch.save({"x": 1}, buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    pkl = next(n for n in members if n.endswith("data.pkl"))
    members[pkl] = b"\x80\x02}X\x01\x00\x00\x00x" + pickle_body + b"s."
    for old, new in (rename or {}).items():
        members[new] = members.pop(old)
    members.update(extra or {})
    path = tmp / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


def _load_in_child(path: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\nfrom baselines.safe_load import load_torch_file\nfrom comsamy.errors import ComsamyError\n"
        "try:\n    obj = load_torch_file(sys.argv[1])\nexcept ComsamyError as exc:\n    print('REFUSED', exc)\n"
        "else:\n    x = obj['x']\n    print('LOADED', getattr(x, 'shape', None), float(x.sum()) if hasattr(x, 'sum')"
        " else x)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )


@pytest.mark.slow  # a child interpreter that imports torch: about 5 s
def test_numpy_scalar_whose_dtype_state_grafts_a_huge_subarray_is_refused(tmp_path: Path) -> None:
    """``dtype.__setstate__`` takes a (2**40,) subarray on float64 while ``str`` still reads '<f8': the scalar
    became an 8 TiB view of 8 bytes, and reading it crashed the process (segmentation fault) before the fix."""
    body = _SCALAR + _dtype_with_state(subarray=_huge_subarray()) + _bytes_arg(b"\0" * 8) + b"\x86R"
    path = _checkpoint(tmp_path, body)
    done = _load_in_child(path)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])  # -11 before the fix
    assert done.stdout.startswith("REFUSED") and "subarray" in done.stdout, done.stdout


@pytest.mark.parametrize(
    ("state", "needle"),
    [
        ({"subarray": _huge_subarray()}, "subarray"),
        ({"names": b"X\x01\x00\x00\x00a\x85", "fields": b"}X\x01\x00\x00\x00a" + _DTYPE_F8 + b"K\x00\x86s"}, "fields"),
    ],
)
def test_bare_dtype_with_grafted_state_is_not_handed_to_the_caller(
    tmp_path: Path, state: dict[str, bytes], needle: str
) -> None:
    """A grafted dtype left as a value (``np.zeros(1, dtype=obj['x'])`` would ask for 8 TiB) is refused too."""
    path = _checkpoint(tmp_path, _dtype_with_state(**state))
    with pytest.raises(UnsafeFileError, match=needle) as info:
        load_torch_file(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "global_name",
    [
        b"numpy.core.multiarray\n_reconstruct\n",  # object arrays
        b"numpy\ndtype \n",  # a trailing space: not the allow-listed name
        b"numpy._core.multiarray\nsc\xd0\xb0lar\n",  # Cyrillic 'a' in 'scalar'
        b"numpy.dtypes\nObjectDType\n",
        b"builtins\neval\n",
    ],
)
def test_lookalike_globals_are_refused_by_name(tmp_path: Path, global_name: bytes) -> None:
    body = b"c" + global_name + b"X\x02\x00\x00\x00O8\x85R"
    with pytest.raises(UnsafeFileError, match="refused without running it"):
        load_torch_file(_checkpoint(tmp_path, body))


def test_stack_global_is_refused_even_for_an_allow_listed_name(tmp_path: Path) -> None:
    """STACK_GLOBAL ('numpy._core.multiarray', 'scalar'): torch's unpickler does not take the opcode at all."""
    stack_global = b"X\x16\x00\x00\x00numpy._core.multiarrayX\x06\x00\x00\x00scalar\x93"
    body = stack_global + _dtype_with_state() + _bytes_arg(np.float64(0.5).tobytes()) + b"\x86R"
    with pytest.raises(UnsafeFileError, match="unsupported pickle operand 147"):
        load_torch_file(_checkpoint(tmp_path, body))
    plain = _SCALAR + _dtype_with_state() + _bytes_arg(np.float64(0.5).tobytes()) + b"\x86R"
    assert float(load_torch_file(_checkpoint(tmp_path, plain, "plain.pth"))["x"]) == 0.5  # the same via GLOBAL


def test_storage_key_with_traversal_names_a_record_inside_the_zip_never_a_file(tmp_path: Path) -> None:
    """A storage key ``../../secret`` is looked up among the zip's records, never opened beside the file."""
    (tmp_path / "secret").write_bytes(b"TOPSECRET" * 8)  # 72 bytes: enough for the 16 floats asked for
    key = b"../../secret"
    persistent = (
        b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX"
        + len(key).to_bytes(4, "little")
        + key
        + b"X\x03\x00\x00\x00cpuK\x10tQ"
    )
    body = (
        b"ctorch._utils\n_rebuild_tensor_v2\n(" + persistent + b"K\x00K\x10\x85K\x01\x85\x89"
        b"ccollections\nOrderedDict\n)RtR"
    )
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    with pytest.raises(ConfigError) as info:
        load_torch_file(_checkpoint(deep, body))
    assert "TOPSECRET" not in str(info.value) and "secret" in str(info.value), info.value
    with pytest.raises(ConfigError, match="not in a subdirectory"):  # a record outside the zip's own folder
        load_torch_file(_checkpoint(deep, b"K\x01", "outside.pth", extra={"evil/../../../x": b"junk"}))


def test_legacy_tar_checkpoint_with_a_symlinked_storages_member_is_refused_unread(tmp_path: Path) -> None:
    """torch's legacy .tar format extracts ``storages`` to a temporary folder; as a symlink it would point the
    loader at any file. With weights_only torch refuses the format before extracting anything."""
    import tarfile

    secret = tmp_path / "secret.bin"
    secret.write_bytes(b"TOPSECRET" * 100)
    path = tmp_path / "legacy.pth"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        link = tarfile.TarInfo("storages")
        link.type, link.linkname = tarfile.SYMTYPE, str(secret)
        tar.addfile(link)
        for name in ("tensors", "pickle"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"\x80\x02"))
    with pytest.raises(ConfigError) as info:
        load_torch_file(path)
    assert "TOPSECRET" not in str(info.value) and "legacy" in str(info.value), info.value
