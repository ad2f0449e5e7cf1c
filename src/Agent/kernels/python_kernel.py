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
    Replies: {"ready": true} once at start, then {"value": str|null, "error": {..}|null, "data": {..}?}, where
    data holds the last expression's representations other than text/plain (its text/plain is value).
  * Rich outputs during a run (display(obj), matplotlib figures from plt.show() or left open at the cell's end)
    go out at once as MARKER + TURN + "=" + one JSON line {mime: content} on fd 1 (after flushing sys.stdout, so
    they keep their place among the printed lines). They do not end the run; the agent streams each as a result.
    Images are base64. One result is at most MAX_RESULT_BYTES of JSON and a run's results MAX_RUN_RESULT_BYTES
    (AgentProtocol.MaxResultBytes / MaxRunResultBytes); what would pass that is dropped with a note on stderr.

Rich results cost nothing on the plain path: values of builtin types only get their repr, and nothing here
imports matplotlib, pandas or IPython; figures are looked for only once the user's code imported pyplot.
"""
import ast
import base64
import builtins
import json
import linecache
import os
import sys
import traceback
from importlib.machinery import PathFinder

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

MAX_RESULT_BYTES = 2 * 1024 * 1024
MAX_RUN_RESULT_BYTES = 8 * 1024 * 1024
current_turn = 0
run_result_bytes = 0

# IPython's display formatters, in its order; the value of each is a str (bytes for the images, base64-encoded
# here), or a (data, metadata) tuple, or None for "no such representation".
_REPR_METHODS = (
    ("text/html", "_repr_html_"),
    ("text/markdown", "_repr_markdown_"),
    ("image/svg+xml", "_repr_svg_"),
    ("image/png", "_repr_png_"),
    ("image/jpeg", "_repr_jpeg_"),
    ("text/latex", "_repr_latex_"),
    ("application/json", "_repr_json_"),
    ("application/javascript", "_repr_javascript_"),
)
_BINARY_MIMES = ("image/png", "image/jpeg")


def note(text):
    try:
        sys.stderr.flush()
    except Exception:
        pass
    write_all(err_fd, ("soulbox: " + text + "\n").encode("utf-8", "replace"))


def _formatter(obj, name):
    # Like IPython's _safe_get_formatter_method: classes are not displayed through their instance methods, and an
    # object whose __getattr__ answers every name (a proxy) must give a callable to count.
    if isinstance(obj, type):
        return None
    try:
        method = getattr(obj, name, None)
    except Exception:
        return None
    return method if callable(method) else None


def _as_text(mime, value):
    if isinstance(value, tuple) and value:
        value = value[0]  # (data, metadata)
    if value is None:
        return None
    if mime in _BINARY_MIMES:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return base64.b64encode(value).decode("ascii")
        return str(value)  # already base64, as IPython accepts
    if mime == "application/json" and not isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _figure_png(figure):
    import io
    buffer = io.BytesIO()
    # As Jupyter's inline backend: trimmed to what is drawn.
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _is_figure(obj):
    module = sys.modules.get("matplotlib.figure")
    return module is not None and isinstance(obj, module.Figure)


def representations(obj, include_plain=True):
    """Every representation of obj: {mime: text}. Values of builtin types have only their repr."""
    data = {}
    if type(obj).__module__ != "builtins":
        bundle = _formatter(obj, "_repr_mimebundle_")
        if bundle is not None:
            try:
                produced = bundle()
                if isinstance(produced, tuple):
                    produced = produced[0]
                for mime, value in (produced or {}).items():
                    text = _as_text(mime, value)
                    if text is not None:
                        data[mime] = text
            except Exception as exc:
                note(f"{type(obj).__name__}._repr_mimebundle_ failed: {type(exc).__name__}: {exc}")
        for mime, name in _REPR_METHODS:
            if mime in data:
                continue
            method = _formatter(obj, name)
            if method is None:
                continue
            try:
                text = _as_text(mime, method())
            except Exception as exc:
                note(f"{type(obj).__name__}.{name} failed: {type(exc).__name__}: {exc}")
                continue
            if text is not None:
                data[mime] = text
        if "image/png" not in data and _is_figure(obj):
            data["image/png"] = _figure_png(obj)
    if include_plain and "text/plain" not in data:
        data["text/plain"] = repr(obj)
    return data


def bounded(data, what):
    """data, less the representations that would take its JSON past one result's or the run's limit."""
    global run_result_bytes
    encoded = json.dumps(data)
    while len(encoded) > MAX_RESULT_BYTES or run_result_bytes + len(encoded) > MAX_RUN_RESULT_BYTES:
        droppable = [m for m in data if m != "text/plain"] or list(data)
        if not droppable:
            return None, ""
        largest = max(droppable, key=lambda m: len(data[m]))
        size = len(data.pop(largest))
        limit = (f"one result may be at most {MAX_RESULT_BYTES} bytes" if len(encoded) > MAX_RESULT_BYTES
                 else f"a run's results may be at most {MAX_RUN_RESULT_BYTES} bytes together")
        note(f"the {largest} representation of {what} ({size} bytes) was dropped: {limit}")
        encoded = json.dumps(data)
    run_result_bytes += len(encoded)
    return data, encoded


def send_result(data, what="a display output"):
    data, encoded = bounded(data, what)
    if not data:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    write_all(out_fd, marker + b"%d=" % current_turn + encoded.encode("ascii") + b"\n")


def display(*objs, raw=False, **_ignored):
    """IPython's display(): each object as a result with every representation it has (raw=True: the objects
    are already {mime: data} dicts)."""
    for obj in objs:
        if raw and isinstance(obj, dict):
            data = {}
            for mime, value in obj.items():
                text = _as_text(mime, value)
                if text is not None:
                    data[str(mime)] = text
        else:
            data = representations(obj)
        send_result(data)


builtins.display = display


def flush_figures(skip=None):
    """Sends every open pyplot figure as an image/png result and closes it (as Jupyter's inline backend does at
    plt.show() and at the end of a cell). Only once the user's code imported pyplot."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for number in list(pyplot.get_fignums()):
        figure = pyplot.figure(number)
        try:
            if figure is not skip:
                send_result({"text/plain": repr(figure), "image/png": _figure_png(figure)}, "a figure")
        except Exception as exc:
            note(f"figure {number} could not be rendered: {type(exc).__name__}: {exc}")
        finally:
            pyplot.close(figure)


def _show(*args, **kwargs):
    flush_figures()


class _PyplotHook:
    """Replaces pyplot.show as soon as pyplot is first imported (a figure shown mid-cell comes out at that point,
    in order). A finder asked about each module not yet imported: one string compare for all others."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "matplotlib.pyplot":
            return None
        spec = PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def patched(module):
            exec_module(module)
            module.show = _show

        try:
            spec.loader.exec_module = patched
        except Exception:
            pass
        return spec

    @staticmethod
    def invalidate_caches():
        pass


sys.meta_path.insert(0, _PyplotHook)


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
        if value is None:
            if "matplotlib.pyplot" in sys.modules:
                flush_figures()
            return {"value": None, "error": None}
        if type(value).__module__ == "builtins":
            if "matplotlib.pyplot" in sys.modules:
                flush_figures()
            return {"value": repr(value), "error": None}
        data = representations(value)
        # Figures left open go out before the reply (results stream before the main one); a figure that is
        # itself the value is closed but shown only as the value.
        if "matplotlib.pyplot" in sys.modules:
            flush_figures(skip=value)
        plain = data.pop("text/plain")
        data, _ = bounded(data, "the value") if data else (data, "")
        return {"value": plain, "error": None, "data": data} if data else {"value": plain, "error": None}
    except BaseException as exc:  # SystemExit and KeyboardInterrupt must not end the kernel either
        if "matplotlib.pyplot" in sys.modules:
            try:
                flush_figures()
            except BaseException:
                pass
        return {"value": None, "error": {"name": type(exc).__name__, "value": str(exc),
                                          "traceback": user_traceback(exc)}}


reply({"ready": True}, 0)
while True:
    request = json.loads(read_line())
    turn = int(request.get("turn") or 0)
    current_turn = turn
    run_result_bytes = 0
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
