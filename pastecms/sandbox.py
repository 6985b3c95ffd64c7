"""The custom-field sandbox: one custom field's stored code, run under RestrictedPython in
a process of its own, within CPU-time, memory and output limits.

The app never imports this module's runner into a worker: it starts
`python -I pastecms/sandbox.py` (`services.site.custom_fields`), writes the request as JSON on
its standard input and reads the outcome as JSON from its standard output. The process
imports nothing from pastecms (so it starts fast and holds no app state or secrets),
limits itself before compiling the code, and answers one of the outcomes below; when it
is killed instead (CPU time, a wall clock the parent keeps), the parent says so.

Request: {"code": str, "variables": {name: value}, "cpu_seconds": int,
          "memory_bytes": int, "max_output": int}
Answer:  {"outcome": OK, "output": str} or {"outcome": <another>, "message": str}
"""

import ast
import builtins
import json
import operator
import resource
import signal
import sys
import types

OK = "ok"
#: The code tried what the sandbox forbids (an import, a name or attribute it withholds).
VIOLATION = "violation"
#: The code does not compile, or raised an error of its own.
ERROR = "error"
#: The code asked for more memory than it has, or printed more than it may.
MEMORY = "memory"
#: The code used up its CPU time.
TIMEOUT = "timeout"

# Descriptors the process keeps open: stdin, stdout, stderr. No file can be opened past
# them, and nothing can be written to disk or forked, whatever slipped through.
_OPEN_FILES = 3


class _TimeUp(BaseException):
    """Raised from the CPU-time signal; a BaseException, so `except Exception` in the
    code does not swallow it (a bare `except` may: the hard limit kills the process)."""


class _Refused(BaseException):
    """What a guard raises for a forbidden access; also remembered in `_refusals`, so the
    outcome is a violation even if the code catches it."""


class _TooMuchOutput(BaseException):
    pass


_refusals: list[str] = []


def _refuse(message: str):
    _refusals.append(message)
    return _Refused(message)


def _set_limits(cpu_seconds: int, memory_bytes: int) -> None:
    # The soft CPU limit sends SIGXCPU (answered as TIMEOUT); a second later the hard one
    # kills a process that ignored it.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (_OPEN_FILES, _OPEN_FILES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    except (ValueError, OSError):  # not settable here; NOFILE already stops a fork's pipes
        pass

    def time_up(signum, frame):
        raise _TimeUp()

    signal.signal(signal.SIGXCPU, time_up)


class _Output:
    """Where `print` writes: one buffer for the whole run, capped."""

    def __init__(self, limit: int):
        self.limit = limit
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > self.limit:
            raise _TooMuchOutput(f"The code printed more than {self.limit} characters.")
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


def _environment(variables: dict, output: _Output) -> dict:
    """The globals the code runs with: RestrictedPython's guarded builtins, a few more
    that are harmless, `json` (its two functions only: the module would lead to `codecs`
    and so to files), `print` into `output`, and the request's parameters."""
    from RestrictedPython import limited_builtins, safe_builtins, utility_builtins
    from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
    from RestrictedPython.Guards import (
        full_write_guard,
        guarded_iter_unpack_sequence,
        guarded_unpack_sequence,
        safer_getattr,
        safer_getattr_raise,
    )

    def guarded_getattr(obj, name, *default):
        if not isinstance(name, str) or name.startswith("_"):
            raise _refuse(f"The attribute {name!r} is not available in the sandbox.")
        try:
            if default:
                return safer_getattr(obj, name, *default)
            return safer_getattr_raise(obj, name)
        except NotImplementedError as refusal:
            raise _refuse(str(refusal)) from None

    def guarded_hasattr(obj, name):
        try:
            guarded_getattr(obj, name)
        except AttributeError:
            return False
        return True

    class Printer:
        def __init__(self, _getattr_=None):
            pass

        def _call_print(self, *objects, **kwargs):
            if kwargs.get("file") is not None:
                raise _refuse("print() may only print to the answer.")
            kwargs["file"] = output
            print(*objects, **kwargs)

        def __call__(self):
            return output.text()

    harmless = {
        name: getattr(builtins, name)
        for name in (
            "all",
            "any",
            "dict",
            "enumerate",
            "filter",
            "map",
            "max",
            "min",
            "reversed",
            "sorted",
            "sum",
            "zip",
        )
    }
    allowed = {
        **safe_builtins,
        **limited_builtins,
        **utility_builtins,
        **harmless,
        "getattr": guarded_getattr,
        "hasattr": guarded_hasattr,
        "json": types.SimpleNamespace(dumps=json.dumps, loads=json.loads),
    }
    # Python's other builtins (open, eval, exec, compile, input...) answer a call with a
    # refusal that counts even when the code catches it.
    for name in dir(builtins):
        if name not in allowed and not name.startswith("_") and name.islower():
            allowed[name] = _withheld(name)
    return {
        **variables,
        "__builtins__": allowed,
        "__name__": "custom_field",
        "__metaclass__": type,
        "_getattr_": guarded_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_print_": Printer,
        "_apply_": lambda function, *args, **kwargs: function(*args, **kwargs),
        "_inplacevar_": _inplace,
    }


def _withheld(name: str):
    def refuse(*args, **kwargs):
        raise _refuse(f"{name!r} is not available in the sandbox.")

    return refuse


_INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "|=": operator.ior,
    "^=": operator.ixor,
}


def _inplace(op: str, target, value):
    return _INPLACE[op](target, value)


def _compile(code: str):
    """The code's restricted bytecode, or an outcome refusing it."""
    from RestrictedPython import compile_restricted_exec

    try:
        tree = ast.parse(code, filename="<custom field>")
    except SyntaxError as error:
        return None, {"outcome": ERROR, "message": f"line {error.lineno}: {error.msg}"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            return None, {
                "outcome": VIOLATION,
                "message": f"line {node.lineno}: import statements are not allowed.",
            }
    compiled = compile_restricted_exec(code, filename="<custom field>")
    if compiled.errors:
        return None, {"outcome": VIOLATION, "message": "; ".join(compiled.errors)}
    return compiled.code, None


#: The longest message an outcome carries: a refusal quotes what the code named (an
#: attribute, say), which the code can make as long as its memory allows.
MAX_MESSAGE = 500


def run(code: str, variables: dict, max_output: int) -> dict:
    """Compile and run `code`; the outcome as the module docstring describes it. Every
    message is cut to MAX_MESSAGE characters, as the output is to `max_output`."""
    answer = _run(code, variables, max_output)
    if len(answer.get("message", "")) > MAX_MESSAGE:
        answer["message"] = answer["message"][: MAX_MESSAGE - 1] + "…"
    return answer


def _run(code: str, variables: dict, max_output: int) -> dict:
    bytecode, refused = _compile(code)
    if refused is not None:
        return refused
    output = _Output(max_output)
    environment = _environment(variables, output)
    try:
        exec(bytecode, environment)
    except _TimeUp:
        return {"outcome": TIMEOUT, "message": "The code used up its CPU time."}
    except MemoryError:
        return {"outcome": MEMORY, "message": "The code asked for more memory than it has."}
    except _TooMuchOutput as error:
        return {"outcome": MEMORY, "message": str(error)}
    except _Refused:
        pass
    except NameError as error:
        if getattr(error, "name", None) and hasattr(builtins, error.name):
            _refusals.append(f"{error.name!r} is not available in the sandbox.")
        else:
            return {"outcome": ERROR, "message": _describe(error)}
    except ImportError:
        _refusals.append("Imports are not allowed.")
    except Exception as error:
        if not _refusals:
            return {"outcome": ERROR, "message": _describe(error)}
    if _refusals:
        return {"outcome": VIOLATION, "message": _refusals[0]}
    return {"outcome": OK, "output": output.text()}


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def main() -> None:
    request = json.load(sys.stdin)
    # Import what the run needs while the process may still open files.
    import RestrictedPython  # noqa: F401
    import RestrictedPython.Eval  # noqa: F401
    import RestrictedPython.Guards  # noqa: F401

    _set_limits(request["cpu_seconds"], request["memory_bytes"])
    try:
        answer = run(request["code"], request["variables"], request["max_output"])
    except _TimeUp:
        answer = {"outcome": TIMEOUT, "message": "The code used up its CPU time."}
    except MemoryError:
        answer = {"outcome": MEMORY, "message": "The code asked for more memory than it has."}
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
