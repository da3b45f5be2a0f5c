"""Download the published dataset folder from the Hub (a thin wrapper of ``snapshot_download``)."""

from __future__ import annotations

from pathlib import Path

from comsamy.data.loading import ENV_DATA, http_errors, hub_repo_id, one_line
from comsamy.errors import DataNotAvailableError


def fetch(to: str | Path | None = None, *, repo_id: str | None = None, revision: str | None = None) -> Path:
    """Download the dataset repo (card + parquet shards) and return the local folder.

    Args:
        to: folder to download into; None keeps the files in the Hugging Face cache.
        repo_id: Hub dataset id; None means ``$COMSAMY_HUB_REPO`` or the default repo.
        revision: branch, tag or commit.

    Raises:
        DataNotAvailableError: the Hub cannot be reached or the repo/revision does not exist.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, OfflineModeIsEnabled

    repo = repo_id or hub_repo_id()
    unreachable: tuple[type[BaseException], ...] = (
        OfflineModeIsEnabled,
        LocalEntryNotFoundError,
        HfHubHTTPError,
        OSError,
        *http_errors(),
    )
    try:
        path = snapshot_download(
            repo, repo_type="dataset", revision=revision, local_dir=str(to) if to is not None else None
        )
    except unreachable as exc:
        raise DataNotAvailableError(
            f"expected to download the Hub dataset {repo!r}"
            + (f" at revision {revision!r}" if revision else "")
            + f", got {one_line(exc)}. Check the connection (and HF_ENDPOINT, HF_HUB_OFFLINE), or copy a dataset "
            f"folder from a machine with internet access and set {ENV_DATA} to it"
        ) from exc
    return Path(path)


__all__ = ["fetch"]
