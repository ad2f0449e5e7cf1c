"""SoulBox Python kernel: keeps one globals dict alive between runs.

Protocol with the agent (see Worker/Kernel.cs):
  * stdin: the first line is a nonce; every later line is a JSON request
    {"code": str, "env": {..}|null, "turn": int}.
    The kernel moves stdin to a private fd and gives user code /dev/null, so input() cannot eat requests.
  * fd 1 and fd 2 stay the real pipes to the agent, so print, os.write(1, ...) and subprocesses all
    stream straight through. A run ends with MARKER + TURN + "\\n" on fd 2, then MARKER + TURN + ":" +
    one JSON reply line on fd 1, where MARKER = b"\\x1e\\x1fsoulbox:" + nonce + b"\\x1f" and TURN is the
    request's turn (0 at start-up). The agent strips markers and replies out of the streams and only
    counts markers of the current turn (user code can read the nonce; see Worker/Kernel.cs).
    Replies: {"ready": true} once at start, then {"value": str|null, "error": {..}|null}.
"""
import ast
import builtins
import json
import linecache
import os
import sys
import traceback

requests = os.fdopen(os.dup(0), "rb")
_devnull = os.open(os.devnull, os.O_RDONLY)
os.dup2(_devnull, 0)
os.close(_devnull)
# Private duplicates of the output pipes: the markers still reach the agent if user code
# redirects or closes fd 1/2, and they are not inherited by subprocesses.
out_fd = os.dup(1)
err_fd = os.dup(2)
# Line-buffered stdout: print("x") leaves as one write (one output event) instead of two ("x", "\n"),
# and output still streams line by line; every run ends with a flush (reply()).
sys.stdout.reconfigure(line_buffering=True, write_through=False)


def read_line():
    line = requests.readline()
    if not line.endswith(b"\n"):
        sys.exit(0)  # the agent closed our stdin: it is stopping us
    return line[:-1]


def write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


marker = b"\x1e\x1fsoulbox:" + read_line() + b"\x1f"


def reply(message, turn):
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    write_all(err_fd, marker + b"%d\n" % turn)
    write_all(out_fd, marker + b"%d:" % turn + json.dumps(message).encode() + b"\n")


user_globals = {"__name__": "__main__", "__builtins__": builtins}


def user_traceback(exc):
    # Drop the kernel's own frames: the user only wrote the <cell> ones.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != "<cell>":
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


# Compiled cells keyed by source: agents and judges send the same code again and again, and ast.parse +
# compile cost ~95 us of the ~120 us a small cell takes. Bounded (oldest out first, small cells only, so it
# holds a few MiB of the sandbox's memory at most); code objects are immutable, so running one again is the
# same as compiling it again.
_compiled = {}
_COMPILED_MAX = 256
_COMPILED_MAX_SOURCE = 16 * 1024


def compile_cell(code):
    tree = ast.parse(code, filename="<cell>", mode="exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), "<cell>", "eval")
    return compile(tree, "<cell>", "exec"), last


def run(code):
    # Like Jupyter: register the cell so tracebacks can show its source lines.
    linecache.cache["<cell>"] = (len(code), None, code.splitlines(True), "<cell>")
    cell = _compiled.get(code)
    if cell is None:
        try:
            cell = compile_cell(code)
        except Exception as exc:  # SyntaxError; also ValueError (NUL bytes), RecursionError (deep nesting)
            return {"value": None, "error": {"name": type(exc).__name__, "value": str(exc),
                                              "traceback": "".join(traceback.format_exception_only(type(exc), exc))}}
        if len(code) <= _COMPILED_MAX_SOURCE:
            if len(_compiled) >= _COMPILED_MAX:
                del _compiled[next(iter(_compiled))]
            _compiled[code] = cell
    body, last = cell
    try:
        exec(body, user_globals)
        value = None
        if last is not None:
            value = eval(last, user_globals)
        return {"value": None if value is None else repr(value), "error": None}
    except BaseException as exc:  # SystemExit and KeyboardInterrupt must not end the kernel either
        return {"value": None, "error": {"name": type(exc).__name__, "value": str(exc),
                                          "traceback": user_traceback(exc)}}


reply({"ready": True}, 0)
while True:
    request = json.loads(read_line())
    turn = int(request.get("turn") or 0)
    # The silo sends the sandbox's whole environment with every run; apply it for this run only, and
    # touch (then restore) just the variables that differ, which keeps the hot path cheap.
    changes = {k: v for k, v in (request.get("env") or {}).items() if os.environ.get(k) != v}
    saved_env = {k: os.environ.get(k) for k in changes}
    os.environ.update(changes)
    try:
        result = run(request["code"])
    finally:
        for key, old in saved_env.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    try:
        reply(result, turn)
    except (TypeError, ValueError) as exc:
        reply({"value": None, "error": {"name": type(exc).__name__, "value": str(exc), "traceback": ""}}, turn)
