#!/usr/bin/env python3
"""deliver_watch.py - bench/bench-deliver.sh's clock: submits the jobs and
sees them arrive, with its own timestamps (the audit trail has whole
seconds only).

    deliver_watch.py JOBS.tsv PARALLEL TIMEOUT DIR...

JOBS.tsv: one job a line, "user<TAB>action<TAB>document<TAB>name", and the
CLI command in the CS_SUBMIT environment variable (a prefix: "runuser -u
USER -- cloudspool -c CONF submit"). Jobs are submitted PARALLEL at a time;
a job's start is when its submit command returned (the job is in the
spool). Every DIR is polled every 5 ms (recursively); a job is delivered
when a file whose name starts with its name's stem appears (WebDAV, Drive
and localdir show a file only once it is whole; s3rver's object file is
named NAME._S3rver_object). Prints one line per job: "action start_s
delivered_s" (delivered_s empty if it never came), then exits.
"""
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def submit(job, prefix):
    user, action, doc, name = job
    cmd = ["runuser", "-u", user, "--"] + prefix + ["-a", action, doc]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("submit failed: %s %s\n" % (name, r.stderr.strip()))
    return time.time()


def scan(dirs):
    seen = set()
    for d in dirs:
        for root, _, files in os.walk(d):
            seen.update(files)
    return seen


def main():
    jobs = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
    parallel, timeout = int(sys.argv[2]), float(sys.argv[3])
    dirs = sys.argv[4:]
    prefix = os.environ["CS_SUBMIT"].split()
    stems = {j[3].rsplit(".", 1)[0]: i for i, j in enumerate(jobs)}
    start = [None] * len(jobs)
    done = [None] * len(jobs)
    pool = ThreadPoolExecutor(max_workers=parallel)
    futs = [pool.submit(submit, j, prefix) for j in jobs]
    deadline = time.time() + timeout
    left = len(jobs)
    while left > 0 and time.time() < deadline:
        now = time.time()
        for f in scan(dirs):
            stem = f.split(".", 1)[0]
            i = stems.get(stem)
            if i is not None and done[i] is None:
                done[i] = now
                left -= 1
        time.sleep(0.005)
    for i, f in enumerate(futs):
        start[i] = f.result()
    pool.shutdown()
    for i, j in enumerate(jobs):
        print("%s %.4f %s" % (j[1], start[i],
                              "%.4f" % done[i] if done[i] else ""))


if __name__ == "__main__":
    main()
