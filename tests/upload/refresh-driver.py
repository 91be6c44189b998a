#!/usr/bin/env python3
"""refresh-driver.py - plays the daemon for cloudspool-upload's "refresh"
operation: a SOCK_SEQPACKET pair, the uploader run with the socket on fd 3
(/dev/null on 0 and 1, an empty environment, as cloudspoold does), the
request sent on the socket, the one answer printed as a JSON line.

usage: refresh-driver.py UPLOADER REQUEST.json
exit: 0 an answer came, 2 none (the uploader's status is in the line)."""
import json
import os
import socket
import subprocess
import sys

uploader, req_file = sys.argv[1:3]
ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
null = os.open("/dev/null", os.O_RDWR)


theirs.set_inheritable(True)  # survives exec even if it is fd 3 already


def child_fds():
    # fd 3 the control socket (kept by pass_fds below), as the daemon does
    os.dup2(theirs.fileno(), 3)


proc = subprocess.Popen([uploader], stdin=null, stdout=null, env={},
                        pass_fds=(3,), preexec_fn=child_fds, close_fds=True)
theirs.close()
with open(req_file, "rb") as f:
    ours.send(f.read().strip())
ours.settimeout(60)
try:
    msg = ours.recv(65536)
except socket.timeout:
    msg = b""
extra = b""
try:
    extra = ours.recv(65536)  # nothing may follow the answer
except (socket.timeout, OSError):
    pass
status = proc.wait(timeout=60)
if not msg:
    print(json.dumps({"answer": None, "status": status}))
    sys.exit(2)
out = json.loads(msg)
out["_status"] = status
out["_extra"] = len(extra)
print(json.dumps(out))
