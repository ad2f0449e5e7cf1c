"""Drives one Jupyter kernel for SoulBox's bench: the client side of a kernel gateway, in the kernel's container.

Starts ipykernel through jupyter_client's AsyncKernelManager with the ZeroMQ *ipc* transport (Unix sockets in
DIR, a directory the bench bind-mounts; the container has no network), waits until the kernel answers, then
listens on DIR/driver.sock. Each request is one JSON line {"code": "..."}; the reply is one JSON line
{"status": "ok"|"error"|"timeout", "stdout": "...", "stderr": "...", "error": "Name: value" or null}.

The asynchronous client on one event loop is how Jupyter Server drives kernels. (jupyter_client 7's blocking
client runs a nested event loop per message, which would add CPU a gateway does not spend.) One request at a
time per connection, as a kernel runs one cell at a time; the bench queues the rest.
"""
import asyncio
import json
import os
import sys

from jupyter_client.manager import AsyncKernelManager

TIMEOUT_SECONDS = 30


async def execute(client, code):
    msg_id = client.execute(code)
    stdout, stderr, error = [], [], None
    # Output and the end of the run come on IOPub (status "idle" closes a run); the reply on the shell channel.
    try:
        while True:
            msg = await client.get_iopub_msg(timeout=TIMEOUT_SECONDS)
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
            reply = await client.get_shell_msg(timeout=TIMEOUT_SECONDS)
            if reply["parent_header"].get("msg_id") == msg_id:
                status = reply["content"].get("status", "error")
                break
    except Exception as e:  # queue.Empty on a timeout
        return {"status": "timeout", "stdout": "".join(stdout), "stderr": "".join(stderr), "error": type(e).__name__}
    return {"status": status, "stdout": "".join(stdout), "stderr": "".join(stderr), "error": error}


async def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/ipc"
    manager = AsyncKernelManager(transport="ipc", ip=os.path.join(directory, "kernel"),
                                 connection_file=os.path.join(directory, "kernel.json"))
    await manager.start_kernel()
    client = manager.client()
    client.start_channels()
    await client.wait_for_ready(timeout=60)
    lock = asyncio.Lock()

    async def serve(reader, writer):
        try:
            while line := await reader.readline():
                request = json.loads(line)
                async with lock:
                    reply = await execute(client, request["code"])
                writer.write(json.dumps(reply).encode() + b"\n")
                await writer.drain()
        finally:
            writer.close()

    path = os.path.join(directory, "driver.sock")
    server = await asyncio.start_unix_server(serve, path=path + ".tmp")
    # The bench's user may differ from this container's; the directory above is the bench's own (0700).
    os.chmod(path + ".tmp", 0o666)
    os.rename(path + ".tmp", path)  # appears only once the kernel is ready
    try:
        async with server:
            await server.serve_forever()
    finally:
        client.stop_channels()
        await manager.shutdown_kernel(now=True)


if __name__ == "__main__":
    asyncio.run(main())
