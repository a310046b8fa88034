"""``newsqa``: one installed command in front of the project's module entry points.

Each subcommand runs its module exactly as ``python -m <module>`` would, with the rest of the
command line, so every option is parsed in one place only (the module that owns it):

    newsqa build|prepare|add|repair|ask|eval ...  ->  python -m index build|prepare|add|repair|ask|eval ...
    newsqa serve                                   ->  python -m service
    newsqa bench ...                               ->  python -m bench ...
"""

from __future__ import annotations

import runpy
import sys

# subcommand -> (module run as __main__, whether the subcommand name is passed on, help line)
COMMANDS: dict[str, tuple[str, bool, str]] = {
    "build": ("index", True, "build the index from a folder of .txt files"),
    "prepare": ("index", True, "build the embedder and the index if they are missing or stale"),
    "add": ("index", True, "add articles to the index"),
    "repair": ("index", True, "publish a verified index version after damage"),
    "ask": ("index", True, "ask one question and print the cited sentences"),
    "eval": ("index", True, "R@1, R@5, MRR@10 and unanswerable handling on a question file"),
    "serve": ("service", False, "serve the API and the chat page (settings from NEWSQA_* variables)"),
    "bench": ("bench", False, "latency, throughput, memory and FAISS-scale benchmark (run from a checkout)"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: newsqa {" + ",".join(COMMANDS) + "} ...", "",
             "Extractive question answering over Korean news.", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    lines += ["", "`newsqa COMMAND --help` shows the options of one command."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage(), file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"{usage()}\n\nerror: unknown command {name!r}: choose one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module, pass_name, _ = COMMANDS[name]
    if name == "serve" and rest:
        # The service reads everything from the environment; it has no options to pass on.
        print("newsqa serve takes no options: set NEWSQA_HOST, NEWSQA_PORT, NEWSQA_DATA_DIR and the other "
              "NEWSQA_* variables listed in the README's Settings section", file=sys.stderr)
        return 0 if rest[0] in ("-h", "--help") else 2
    saved = sys.argv
    sys.argv = [f"newsqa {name}", *([name] if pass_name else []), *rest]
    try:
        runpy.run_module(module, run_name="__main__")
    except SystemExit as e:  # the module's own exit status (argparse errors, `sys.exit(main())`)
        code = e.code
        if code is None or isinstance(code, int):
            return code or 0
        print(code, file=sys.stderr)
        return 1
    finally:
        sys.argv = saved
    return 0


if __name__ == "__main__":
    sys.exit(main())
