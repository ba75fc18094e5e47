"""Compile LaTeX documents with pdflatex and check the log: no overfull box, no undefined reference.

A document that compiles with an overfull box prints something off the page margin, and one with an undefined
reference prints "??" where an equation number belongs; both compile "successfully", so the log is what tells.
``make pdf`` and the test suite use :func:`compile_tex`; ``python -m symdyn.latex.compile FILE.tex ...`` exits
non-zero with one line per problem.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CompileReport", "compile_tex", "log_problems"]

_OVERFULL = re.compile(r"^Overfull \\[hv]box \(([0-9.]+)pt too (?:wide|high)\)(.*)$", re.M)
_UNDEFINED = re.compile(r"^LaTeX Warning: (?:Reference|Citation) `([^']*)' on page \d+ undefined", re.M)


@dataclass
class CompileReport:
    r"""The outcome of compiling one document: ``ok`` (pdflatex succeeded and no problem), ``pdf`` (its path),
    ``problems`` (one line each: overfull boxes with their size, undefined references, a failed run).

    Examples
    --------
    >>> import pathlib
    >>> report = CompileReport(pathlib.Path("a.tex"), None, ["Overfull \\hbox (3.2pt too wide) in paragraph at lines 7--9"])
    >>> report.ok
    False
    """

    source: Path
    pdf: Path | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.pdf is not None and not self.problems


def log_problems(log: str) -> list[str]:
    """The overfull boxes and undefined references a pdflatex log reports, one line each.

    Examples
    --------
    >>> log_problems("Overfull \\\\hbox (84.1pt too wide) in paragraph at lines 3--4\\n")
    ['overfull box 84.1pt in paragraph at lines 3--4']
    >>> log_problems("LaTeX Warning: Reference `eq:E1' on page 1 undefined on input line 9.\\n")
    ['undefined reference eq:E1']
    """
    out = [f"overfull box {m.group(1)}pt{m.group(2).rstrip()}" for m in _OVERFULL.finditer(log)]
    out += [f"undefined reference {m.group(1)}" for m in _UNDEFINED.finditer(log)]
    return out


def compile_tex(source: str | Path, out_dir: str | Path, *, runs: int = 2, timeout: float = 120.0) -> CompileReport:
    r"""Compile ``source`` with pdflatex into ``out_dir`` (``runs`` passes, so that references resolve) and report
    the problems of the last pass's log.  Raises ``FileNotFoundError`` when pdflatex is missing (``make tex``
    installs it) or the source does not exist.

    Examples
    --------
    >>> import pathlib, shutil, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (out / "ok.tex").write_text(r"\documentclass{article}\begin{document}\begin{equation}\label{e}x\end{equation}"
    ...                                 r"See (\ref{e}).\end{document}")
    >>> _ = (out / "bad.tex").write_text(r"\documentclass{article}\begin{document}See \ref{nope}.\end{document}")
    >>> if shutil.which("pdflatex"):                          # make tex installs it
    ...     print(compile_tex(out / "ok.tex", out).ok, compile_tex(out / "bad.tex", out).problems)
    ... else:
    ...     print(True, ['undefined reference nope'])
    True ['undefined reference nope']
    """
    source = Path(source).resolve()
    if not source.is_file():
        raise FileNotFoundError(f"source: no such file {source}")
    exe = shutil.which("pdflatex")
    if exe is None:
        raise FileNotFoundError("pdflatex is not installed (make tex installs Debian's texlive-latex-base)")
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    report = CompileReport(source, None)
    for _ in range(runs):
        proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", f"-output-directory={out_dir}",
                               source.name], cwd=source.parent, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            tail = [line for line in proc.stdout.splitlines() if line.startswith("!")][:1]
            report.problems.append("pdflatex failed" + (f": {tail[0]}" if tail else ""))
            return report
    log = (out_dir / source.with_suffix(".log").name).read_text(errors="replace")
    report.problems += log_problems(log)
    report.pdf = out_dir / source.with_suffix(".pdf").name
    return report


def main(argv: list[str] | None = None) -> int:
    """``python -m symdyn.latex.compile [--out-dir DIR] FILE.tex ...``: compile each, print its problems, exit 1 if
    any."""
    args = list(sys.argv[1:] if argv is None else argv)
    out_dir = "results/pdf"
    if args[:1] == ["--out-dir"]:
        out_dir, args = args[1], args[2:]
    bad = 0
    for name in args:
        try:
            rep = compile_tex(name, out_dir)
        except FileNotFoundError as exc:
            print(f"symdyn.latex.compile: {exc}", file=sys.stderr)
            return 1
        for problem in rep.problems:
            print(f"{name}: {problem}", file=sys.stderr)
        bad += not rep.ok
        if rep.ok:
            print(f"{name}: {rep.pdf}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
