"""Load test of the leaderboard: N archives from C concurrent clients, W worker processes, one SQLite file.

Every client calls :func:`leaderboard.submit.submit_archive`, the function the Submit page calls. Checks that
every submission is scored exactly once and none is lost, then reports the time from upload to result
(p50 / p95 / max) and the throughput, with the ratio against the reference measured in the same run: scoring
one archive directly with ``comsamy.evaluation.evaluate_archive`` in this process.

    python scripts/load_leaderboard.py                      # 50 archives, 10 clients, 2 workers, bundled sample
    python scripts/load_leaderboard.py --archives 10 --clients 4
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leaderboard.demo import label_arrays, noisy_archive
from leaderboard.manifest import SubmissionInfo
from leaderboard.settings import Settings
from leaderboard.store import Result, Submission, Worker, make_engine, migrate
from leaderboard.submit import submit_archive
from leaderboard.tokens import create_token


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archives", type=int, default=50)
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--data", default="sample")
    ap.add_argument("--timeout", type=float, default=900)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="comsamy-lb-load-"))
    settings = Settings(storage=str(tmp / "storage"), data=args.data, quota=10_000, lease_s=60)
    engine = make_engine(settings.db_url)
    migrate(engine)
    labels = label_arrays(args.data)
    teams = [create_token(engine, f"client-{i}") for i in range(args.clients)]
    print(f"{len(labels)} images of {args.data!r}; {args.archives} archives, {args.clients} clients, "
          f"{args.workers} workers; storage {tmp}")

    # reference, same run: one archive scored directly in this process
    from comsamy.evaluation import evaluate_archive

    ref_zip = tmp / "ref.zip"
    ref_zip.write_bytes(noisy_archive(labels, 1.0, seed=10_000))
    import comsamy

    ds = comsamy.load_dataset(args.data, config="all", split="test")
    t = time.perf_counter()
    evaluate_archive(str(ref_zip), data=ds, workers=1, progress=False)
    ref_s = time.perf_counter() - t
    print(f"reference: evaluate_archive on one archive in-process: {ref_s:.2f} s")

    env = {**os.environ, **settings.to_env(), "PYTHONUNBUFFERED": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "leaderboard.cli", "worker", "--poll", "0.2"], env=env,
                              stdout=open(tmp / f"worker{i}.log", "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
             for i in range(args.workers)]
    try:
        deadline = time.time() + 120
        while True:
            with Session(engine) as s:
                if (s.scalar(select(func.count()).select_from(Worker)) or 0) >= args.workers:
                    break
            if time.time() > deadline:
                raise SystemExit("workers did not start; see worker*.log")
            time.sleep(0.2)

        sent: dict[int, float] = {}
        upload_s: list[float] = []

        def client(i: int) -> None:
            for j in range(i, args.archives, args.clients):
                raw = noisy_archive(labels, 0.5 + (j % 7) * 0.25, seed=j)
                t0 = time.time()
                receipt = submit_archive(engine, settings, token=teams[i], fileobj=io.BytesIO(raw),
                                         info=SubmissionInfo(method=f"load-{j}"))
                upload_s.append(time.time() - t0)
                sent[receipt.submission_id] = t0

        start = time.time()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(client, range(args.clients)))
        while True:
            with Session(engine) as s:
                pending = s.scalar(select(func.count()).select_from(Submission)
                                   .where(Submission.status.in_(("queued", "running"))))
            if not pending:
                break
            if time.time() - start > args.timeout:
                raise SystemExit(f"{pending} submissions still pending after {args.timeout} s")
            time.sleep(0.2)

        with Session(engine) as s:
            subs = s.scalars(select(Submission)).all()
            results = s.scalar(select(func.count()).select_from(Result))
            fresh = s.scalar(select(func.count()).select_from(Result).where(Result.reused_from.is_(None)))
            jobs_done = s.scalar(select(func.sum(Worker.jobs_done)))
        statuses = {sub.status for sub in subs}
        latency = [sub.finished_at - sent[sub.id] for sub in subs]
        end = max(sub.finished_at for sub in subs)
        ok = (len(subs) == len(sent) == args.archives and statuses == {"scored"} and results == args.archives
              and fresh == args.archives and jobs_done == args.archives and all(sub.attempts == 1 for sub in subs))
        throughput = args.archives / (end - start)
        print(f"submitted {len(sent)}, in the database {len(subs)}, statuses {sorted(statuses)}, results {results}, "
              f"fresh scorings {fresh}, worker jobs {jobs_done}, attempts {sorted({s.attempts for s in subs})}")
        print(f"upload (spool + hash + queue): p50 {statistics.median(upload_s):.2f} s, max {max(upload_s):.2f} s")
        print(f"upload-to-result latency: p50 {percentile(latency, 50):.1f} s, p95 {percentile(latency, 95):.1f} s, "
              f"max {max(latency):.1f} s")
        print(f"throughput: {throughput * 60:.1f} archives/min over {end - start:.1f} s; "
              f"ratio to one in-process evaluate_archive ({60 / ref_s:.1f}/min): {throughput * ref_s:.2f}x")
        print("CHECK", "OK: every archive scored exactly once, none lost" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)
        engine.dispose()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
