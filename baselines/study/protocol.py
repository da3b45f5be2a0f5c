"""Run the synthetic study end to end and write ``summary.json`` (see ``docs/baselines.md``, "Synthetic study").

Order, so that nothing is chosen on test images: build the data; train every run (inlier segmenter per seed; RPL
per seed, loss, composition and λ); score the validation images; choose λ (and, for the tuned methods, the score)
per method on validation; only then score the test images, with the selected runs only; summarise.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from baselines.study.analysis import COMPARISONS, Row, assess_claims, compare, select, split_ids, summarise_row
from baselines.study.config import INLIER_SCORES, LOSSES, SCORES, StudyConfig, stable_hash
from baselines.study.data import StudyData, build_study_data
from baselines.study.runs import RunRecord, evaluate_checkpoint, train_or_reuse

__all__ = ["environment", "run_study"]

log = logging.getLogger(__name__)

# (loss, composition) pairs RPL is trained on: the three Table V needs (the EEL loss is only trained harmonised)
TRAINED = (("energy", "copy-paste"), ("energy", "harmonized"), ("eel", "harmonized"))


def environment(threads: int) -> dict[str, Any]:
    """Library versions and the settings that make the numbers reproducible."""
    import datasets
    import numpy
    import PIL
    import scipy
    import torch

    import comsamy

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "datasets": datasets.__version__,
        "pillow": PIL.__version__,
        "comsamy": getattr(comsamy, "__version__", None),
        "torch_threads": threads,
        "deterministic_algorithms": torch.are_deterministic_algorithms_enabled(),
        "device": "cpu",
        "cpu_count": os.cpu_count(),
    }


def _set_determinism(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    try:
        import datasets

        datasets.disable_progress_bars()
    except ImportError:  # pragma: no cover - datasets is a core dependency
        pass
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 comes with the baselines extra
        pass


def _run_key(loss: str, comp: str, lam: float) -> str:
    return f"rpl_{loss}-{comp}-lam{lam:g}"


class _Study:
    def __init__(self, config: StudyConfig, out: Path, reuse: bool, say: Callable[[str], None]) -> None:
        self.c, self.out, self.reuse, self.say = config, out, reuse, say
        self.timings: dict[str, float] = {}
        self.records: dict[str, RunRecord] = {}
        self.load: dict[str, list[float]] = {"start": list(os.getloadavg())}
        self.cpu_start = time.process_time()

    def _timed(self, key: str, t0: float) -> None:
        self.timings[key] = round(self.timings.get(key, 0.0) + time.perf_counter() - t0, 2)

    def _common(self, seed: int) -> dict[str, Any]:
        c = self.c
        return {
            "batch_size": c.batch_size,
            "device": "cpu",
            "progress": False,
            "seed": seed,
            "threads": c.threads,
            "log_every": max(1, min(25, c.rpl_steps)),
            "num_workers": 0,
        }

    def _model_config(self) -> dict[str, Any]:
        return {"width": self.c.width, "structure": [1, 1, 1, 1, 1, 1]}

    def _data(self, dataset: str, config: str | None, seed: int) -> dict[str, Any]:
        return {
            "dataset": dataset,
            "config": config,
            "split": "train",
            "resize": None,
            "crop_size": self.c.crop_size,
            "scale_range": [0.75, 1.25],
            "object_bank": None,
            "seed": seed,
        }

    def train_inlier(self, data: StudyData, seed: int) -> RunRecord:
        from baselines.data import DataConfig, SegmentationTrainSet

        c = self.c
        d = self._data("study-inliers", None, seed)
        mapping = {
            **self._common(seed),
            "model": "inlier_segmenter",
            "model_config": self._model_config(),
            "out_dir": str(self.out / "runs" / f"inlier-s{seed}"),
            "steps": c.inlier_steps,
            "ckpt_every": c.inlier_steps,
            "lr": c.inlier_lr,
            "optimizer": "adam",
            "data": d,
        }
        train_set = SegmentationTrainSet(data.inliers, DataConfig(**{**d, "scale_range": tuple(d["scale_range"])}))
        return train_or_reuse(
            f"inlier-s{seed}", mapping, data_fingerprint=data.fingerprint, train_set=train_set, reuse=self.reuse
        )

    def train_rpl(
        self, data: StudyData, seed: int, loss: str, folder: Path, run: str, lam: float, parent: RunRecord
    ) -> RunRecord:
        c = self.c
        mapping = {
            **self._common(seed),
            "model": f"rpl_{loss}",
            "model_config": {**self._model_config(), "pretrained": parent.checkpoint, "lam": lam},
            "out_dir": str(self.out / "runs" / f"{run}-s{seed}"),
            "steps": c.rpl_steps,
            "ckpt_every": c.rpl_steps,
            "lr": c.rpl_lr,
            "data": self._data(str(folder), "default", seed),
        }
        return train_or_reuse(
            f"{run}-s{seed}",
            mapping,
            data_fingerprint=data.fingerprint,
            parent_hash=parent.config_hash,
            reuse=self.reuse,
        )

    def run(self) -> dict[str, Any]:
        c, t_start = self.c, time.perf_counter()
        _set_determinism(c.threads)
        t0 = time.perf_counter()
        data = build_study_data(c, self.out)
        self._timed("data", t0)
        self.say(
            f"data {data.root.name}: {len(data.inliers)} inliers, {len(data.val)} val, {len(data.test)} test "
            f"images ({self.timings['data']:.0f}s)"
        )
        inlier: dict[int, RunRecord] = {}
        runs: dict[tuple[str, int], RunRecord] = {}
        for seed in c.seeds:
            t0 = time.perf_counter()
            inlier[seed] = self.train_inlier(data, seed)
            runs[("inlier", seed)] = inlier[seed]
            self._timed("train_inlier", t0)
            for loss, comp in TRAINED:
                for lam in c.lam_grid[loss]:
                    t0 = time.perf_counter()
                    key = _run_key(loss, comp, lam)
                    runs[(key, seed)] = self.train_rpl(data, seed, loss, data.composed[comp], key, lam, inlier[seed])
                    self._timed("train_rpl", t0)
            self.load[f"after_seed_{seed}"] = list(os.getloadavg())
            self.say(
                f"seed {seed}: trained ({self.timings.get('train_inlier', 0) + self.timings['train_rpl']:.0f}s "
                f"so far, load {os.getloadavg()[0]:.1f})"
            )
        val_ids, test_ids = split_ids(data.val), split_ids(data.test)
        t0 = time.perf_counter()
        val: dict[tuple[str, int], dict[str, Any]] = {}
        for (key, seed), rec in runs.items():
            val[(key, seed)] = evaluate_checkpoint(
                rec.checkpoint, data.val, INLIER_SCORES if key == "inlier" else SCORES
            )
        self._timed("validate", t0)
        selection, rows = self._select(val, val_ids["whole"])
        diffusion = self._diffusion_row(data, inlier, runs, rows)
        t0 = time.perf_counter()
        test: dict[tuple[str, int], dict[str, Any]] = {}
        for row in rows:
            for seed in c.seeds[:1] if row.smoke else c.seeds:
                if (row.run, seed) not in test:
                    rec = runs[(row.run, seed)]
                    scores = INLIER_SCORES if row.run == "inlier" else SCORES
                    test[(row.run, seed)] = evaluate_checkpoint(rec.checkpoint, data.test, scores)
        self._timed("test", t0)
        t0 = time.perf_counter()
        summary = self._summarise(data, rows, selection, val, test, val_ids, test_ids, diffusion)
        self._timed("statistics", t0)
        self.load["end"] = list(os.getloadavg())
        summary["run_info"] = {
            "timings_s": self.timings,
            "total_s": round(time.perf_counter() - t_start, 1),
            "cpu_s": round(time.process_time() - self.cpu_start, 1),
            "load_average": self.load,
            "runs": {f"{k}-s{s}": r.to_dict() for (k, s), r in runs.items()},
            "reused_runs": sum(r.reused for r in runs.values()),
            "out": str(self.out),
        }
        return summary

    def _select(self, val: dict[tuple[str, int], dict[str, Any]], ids: list[str]) -> tuple[dict[str, Any], list[Row]]:
        c = self.c
        grid = {loss: c.lam_grid[loss] for loss in LOSSES}
        sel: dict[str, Any] = {}

        def pick(name: str, loss: str, comp: str, scores: tuple[str, ...]) -> tuple[str, str, float]:
            cands = [(_run_key(loss, comp, lam), s) for lam in grid[loss] for s in scores]
            sel[name] = select(val, cands, c.seeds, ids)
            chosen = sel[name]["chosen"]
            lam = grid[loss][[_run_key(loss, comp, x) for x in grid[loss]].index(chosen["run"])]
            sel[name]["chosen"]["lam"] = lam
            return chosen["run"], chosen["score"], lam

        r1 = pick("table5_copy_paste", "energy", "copy-paste", ("energy",))
        r2 = pick("table5_harmonized_energy", "energy", "harmonized", ("energy",))
        r4 = pick("table5_eel_loss", "eel", "harmonized", ("eel",))
        te = pick("rpl_energy_tuned", "energy", "harmonized", SCORES)
        tl = pick("rpl_eel_tuned", "eel", "harmonized", SCORES)
        rows = [
            Row("msp", "inlier segmenter, MSP (no anomaly training)", "inlier", "msp"),
            Row("energy", "inlier segmenter, energy score", "inlier", "energy"),
            Row("eel_score_only", "inlier segmenter, EEL score", "inlier", "eel"),
            Row(
                "table5_copy_paste",
                "RPL, copy-paste anomalies, energy loss, energy score",
                r1[0],
                "energy",
                "energy",
                "copy-paste",
                r1[2],
            ),
            Row(
                "table5_harmonized_energy",
                "RPL, harmonised anomalies, energy loss, energy score",
                r2[0],
                "energy",
                "energy",
                "harmonized",
                r2[2],
            ),
            Row(
                "table5_eel_score",
                "RPL, harmonised, energy loss, EEL score (same weights)",
                r2[0],
                "eel",
                "energy",
                "harmonized",
                r2[2],
            ),
            Row(
                "table5_eel_loss",
                "RPL + DiffEEL: harmonised, EEL loss, EEL score",
                r4[0],
                "eel",
                "eel",
                "harmonized",
                r4[2],
            ),
            Row(
                "rpl_eel_energy_score",
                "RPL, harmonised, EEL loss, energy score (same weights)",
                r4[0],
                "energy",
                "eel",
                "harmonized",
                r4[2],
            ),
            Row(
                "rpl_energy_tuned",
                "RPL energy loss, lambda and score chosen on validation",
                te[0],
                te[1],
                "energy",
                "harmonized",
                te[2],
            ),
            Row(
                "rpl_eel_tuned",
                "RPL EEL loss, lambda and score chosen on validation",
                tl[0],
                tl[1],
                "eel",
                "harmonized",
                tl[2],
            ),
        ]
        return sel, rows

    def _diffusion_row(
        self, data: StudyData, inlier: dict[int, RunRecord], runs: dict[tuple[str, int], RunRecord], rows: list[Row]
    ) -> dict[str, Any] | None:
        if data.diffusion is None:
            return None
        folder, info = data.diffusion
        r4 = next(r for r in rows if r.name == "table5_eel_loss")
        seed = self.c.seeds[0]
        key = f"rpl_eel-diffusion-lam{r4.lam:g}"
        t0 = time.perf_counter()
        runs[(key, seed)] = self.train_rpl(data, seed, "eel", folder, key, float(r4.lam or 0.0), inlier[seed])
        self._timed("train_rpl", t0)
        rows.append(
            Row(
                "smoke_diffusion_objects",
                "SMOKE: RPL + EEL on objects from a tiny random-weight Stable "
                "Diffusion (noise blobs; shows the path runs, not the paper's synthesizer)",
                key,
                "eel",
                "eel",
                "harmonized",
                r4.lam,
                smoke=True,
            )
        )
        return info

    def _summarise(
        self,
        data: StudyData,
        rows: list[Row],
        selection: dict[str, Any],
        val: dict[tuple[str, int], dict[str, Any]],
        test: dict[tuple[str, int], dict[str, Any]],
        val_ids: dict[str, list[str]],
        test_ids: dict[str, list[str]],
        diffusion: dict[str, Any] | None,
    ) -> dict[str, Any]:
        from comsamy.synthetic import OBJECT_SPLITS

        c = self.c
        methods: dict[str, Any] = {}
        resamples: dict[str, Any] = {}
        done: dict[tuple[str, str, tuple[int, ...]], tuple[Any, Any, Any]] = {}  # rows that share a run and score
        for row in rows:
            seeds = c.seeds[:1] if row.smoke else c.seeds
            key = (row.run, row.score, tuple(seeds))
            if key not in done:
                accs = [test[(row.run, s)][row.score] for s in seeds]
                res_test, res = summarise_row(accs, test_ids, n=c.bootstrap, seed=c.data_seed, level=c.ci_level)
                has_val = all((row.run, s) in val for s in seeds)
                vaccs = [val[(row.run, s)][row.score] for s in seeds] if has_val else []
                res_val = (
                    summarise_row(vaccs, val_ids, n=c.bootstrap, seed=c.data_seed, level=c.ci_level)[0]
                    if vaccs
                    else None
                )
                done[key] = (res_test, res, res_val)
            res_test, resamples[row.name], res_val = done[key]
            methods[row.name] = {**row.to_dict(), "seeds": list(seeds), "test": res_test, "val": res_val}
        comparisons = {}
        for name, a, b, question in COMPARISONS:
            comparisons[name] = {
                "a": a,
                "b": b,
                "question": question,
                **compare(
                    methods[a]["test"],
                    methods[b]["test"],
                    resamples[a],
                    resamples[b],
                    level=c.ci_level,
                    paired_seeds=True,
                ),
            }
        anomaly_share = {
            name: sum(int((r.label == 1).sum()) for r in rows_) / sum(int((r.label != 255).sum()) for r in rows_)
            for name, rows_ in (("val", data.val), ("test", data.test))
        }
        return {
            "format": "comsamy-synthetic-study/1",
            "protocol": c.to_dict(),
            "protocol_hash": stable_hash(c.to_dict()),
            "environment": environment(c.threads),
            "data": {
                "fingerprint": data.fingerprint,
                "object_splits": {k: v.to_dict() for k, v in OBJECT_SPLITS.items()},
                "num_images": {
                    "train_inliers": len(data.inliers),
                    "val": len(data.val),
                    "test": len(data.test),
                    "val_clear": len(val_ids["clear"]),
                    "test_clear": len(test_ids["clear"]),
                },
                "anomaly_pixel_share": anomaly_share,
                "diffusion_smoke": diffusion,
            },
            "selection": selection,
            "methods": methods,
            "comparisons": comparisons,
            "ablation_table5": ["table5_copy_paste", "table5_harmonized_energy", "table5_eel_score", "table5_eel_loss"],
            "claims": assess_claims(comparisons),
        }


def run_study(
    config: StudyConfig, out: str | Path, *, reuse: bool = False, say: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Run the whole protocol into ``out`` and return the summary (also written to ``out/summary.json``).

    Args:
        config: The protocol (a preset of :data:`baselines.study.config.PRESETS` or a variant).
        out: Output folder (data, runs, summary).
        reuse: Reuse data and checkpoints whose config hash matches (never a checkpoint of another config).
        say: Progress callback (one line per stage); default: the module logger.
    """
    import json

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summary = _Study(config, out, reuse, say or log.info).run()
    tmp = out / "summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, sort_keys=False, allow_nan=True), encoding="utf-8")
    os.replace(tmp, out / "summary.json")
    return summary
