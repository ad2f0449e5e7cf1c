"""Drives one Jupyter kernel for SoulBox's bench: the client side of a kernel gateway, in the kernel's container.

Starts ipykernel through jupyter_client's KernelManager with the ZeroMQ *ipc* transport (Unix sockets in
DIR, a directory the bench bind-mounts; the container has no network), waits until the kernel answers, then
listens on DIR/driver.sock. Each request is one JSON line {"code": "..."}; the reply is one JSON line
{"status": "ok"|"error"|"timeout", "stdout": "...", "stderr": "...", "error": "Name: value" or null}.
One request at a time, as a kernel runs one cell at a time; the bench queues the rest.
"""
import json
import os
import socket
import sys

from jupyter_client.manager import KernelManager

TIMEOUT_SECONDS = 30


def execute(client, code):
    msg_id = client.execute(code)
    stdout, stderr, error, status = [], [], None, None
    # Output and the end of the run come on IOPub (status "idle" closes a run); the reply on the shell channel.
    while True:
        try:
            msg = client.get_iopub_msg(timeout=TIMEOUT_SECONDS)
        except Exception:  # queue.Empty
            return {"status": "timeout", "stdout": "".join(stdout), "stderr": "".join(stderr), "error": "no idle status"}
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            (stdout if content.get("name") == "stdout" else stderr).append(content.get("text", ""))
        elif kind == "execute_result":
            stdout.append(content.get("data", {}).get("text/plain", "") + "\n")
        elif kind == "error":
            error = f"{content.get('ename')}: {content.get('evalue')}"
        elif kind == "status" and content.get("execution_state") == "idle":
            break
    while True:
        try:
            reply = client.get_shell_msg(timeout=TIMEOUT_SECONDS)
        except Exception:
            return {"status": "timeout", "stdout": "".join(stdout), "stderr": "".join(stderr), "error": "no execute_reply"}
        if reply["parent_header"].get("msg_id") == msg_id:
            status = reply["content"].get("status", "error")
            break
    return {"status": status, "stdout": "".join(stdout), "stderr": "".join(stderr), "error": error}


def serve(client, path):
    if os.path.exists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".tmp")
    # The bench's user may differ from this container's; the directory above is the bench's own (0700).
    os.chmod(path + ".tmp", 0o666)
    server.listen(4)
    os.rename(path + ".tmp", path)  # appears only once the kernel is ready
    while True:
        connection, _ = server.accept()
        with connection, connection.makefile("rwb") as stream:
            for line in stream:
                request = json.loads(line)
                reply = execute(client, request["code"])
                stream.write(json.dumps(reply).encode() + b"\n")
                stream.flush()


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/ipc"
    manager = KernelManager(transport="ipc", ip=os.path.join(directory, "kernel"),
                            connection_file=os.path.join(directory, "kernel.json"))
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    try:
        serve(client, os.path.join(directory, "driver.sock"))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
