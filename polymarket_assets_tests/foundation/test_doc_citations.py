"""Every citation of ``docs/api_reference.md`` resolves, and code, README, tests and ``docs/`` cite only files
that exist.

Scanned: ``polymarket_assets/``, ``bench/``, ``polymarket_assets_tests/``, ``docs/`` and ``README.md`` (text files;
not the cassettes or the JSON bodies, which are recorded API data, and not this file, whose docstrings show the
forms). Recognised:

* a section sign followed by a number (``§3.2``, ``§1``): a heading of ``api_reference.md`` with that number
  (``## 1. …`` or ``### 3.2 …``);
* a section sign *not* followed by a number: always an error (name the section);
* ``quirk N`` / ``quirks N, M and K``: item N of the numbered list of §6;
* ``docs/<file>.md`` outside ``docs/``: the file exists (a path right after an ``owner/repo`` name is another
  repository's and is skipped);
* outside ``docs/`` (code, README, tests, benchmarks): every path into this repository
  (``polymarket_assets/…``, ``polymarket_assets_tests/…``, ``bench/…``, ``deploy/…``, ``docs/…``, ``.ci/…``;
  globs allowed) exists, except the benchmarks' git-ignored output under ``bench/out/``;
* inside ``docs/``: relative Markdown links, and every path into this repository
  (``polymarket_assets_tests/fixtures/real/…`` and the like) exist; no path into the team's shared catalogue
  (which users do not have) and no bare ``fixtures/real/…`` path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
REFERENCE = DOCS / "api_reference.md"
SELF = Path(__file__).resolve()

SCANNED_DIRS = ("polymarket_assets", "bench", "polymarket_assets_tests", "docs")
SCANNED_FILES = ("README.md",)
TEXT_SUFFIXES = {".py", ".md", ".sql", ".toml", ".yaml", ".yml", ".txt", ".cfg", ".ini", ".sh"}
SKIPPED_DIRS = {"__pycache__", "cassettes", ".pytest_cache"}

SECTION_RE = re.compile(r"§\s?(\d+(?:\.\d+)*)")
BARE_SECTION_RE = re.compile(r"§(?!\s?\d)")
QUIRK_RE = re.compile(r"\bquirks?\s+(\d+(?:\s*(?:,|and|&)\s*\d+)*)", re.IGNORECASE)
HEADING_RE = re.compile(r"^#{2,4}\s+(\d+(?:\.\d+)?)\.?\s", re.MULTILINE)
QUIRK_BLOCK_RE = re.compile(r"^## 6\.[^\n]*\n(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)
QUIRK_ITEM_RE = re.compile(r"^(\d+)\.\s", re.MULTILINE)

DOCS_FILE_RE = re.compile(r"(?<![\w/.-])docs/([\w.-]+\.md)\b")
OTHER_REPO_BEFORE_RE = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+[\s`'\":]*$")
LINK_RE = re.compile(r"\]\(([^)\s]+)\)")
REPO_PATH_RE = re.compile(r"(?<![\w/.-])((?:polymarket_assets_tests|polymarket_assets|bench)/[\w./*-]*[\w*])")
CITED_PATH_RE = re.compile(r"(?<![\w/.-])((?:polymarket_assets_tests|polymarket_assets|bench|deploy|docs|\.ci)/[\w./*-]*[\w*])")
GENERATED_PREFIXES = ("bench/out/",)  # written by the benchmarks, git-ignored
SHARED_RE = re.compile(r"(?:\.\./)?\bshared/(?:fixtures|docs)\b")
BARE_FIXTURE_RE = re.compile(r"(?<![\w/.-])fixtures/real/")


@dataclass(frozen=True)
class Problem:
    where: str
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text!r} — {self.reason}"


def reference_sections(text: str) -> set[str]:
    """Section numbers of the reference's headings: "0", "0.1", …, "7.5"."""
    return set(HEADING_RE.findall(text))


def reference_quirks(text: str) -> set[int]:
    """Numbers of the items of the numbered list under "## 6."."""
    block = QUIRK_BLOCK_RE.search(text)
    return {int(n) for n in QUIRK_ITEM_RE.findall(block.group(1))} if block else set()


def citation_problems(text: str, sections: set[str], quirks: set[int], where: str) -> list[Problem]:
    """Section and quirk citations in ``text`` that do not resolve against ``sections`` / ``quirks``."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        at = f"{where}:{number}"
        for match in SECTION_RE.finditer(line):
            section = match.group(1)
            if section not in sections:
                hint = ""
                if section.startswith("6."):
                    hint = f"; the quirks of §6 are cited as 'quirk {section[2:]} (§6)'"
                problems.append(Problem(at, match.group(0), f"no section {section} in docs/api_reference.md{hint}"))
        for match in BARE_SECTION_RE.finditer(line):
            problems.append(Problem(at, line[max(0, match.start() - 20) : match.end() + 20].strip(), "a '§' without a section number"))
        for match in QUIRK_RE.finditer(line):
            for n in re.findall(r"\d+", match.group(1)):
                if int(n) not in quirks:
                    problems.append(Problem(at, match.group(0), f"no quirk {n} in §6 of docs/api_reference.md"))
    return problems


def docs_file_problems(text: str, where: str) -> list[Problem]:
    """``docs/<file>.md`` mentions (outside docs/) naming a file that does not exist."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in DOCS_FILE_RE.finditer(line):
            if OTHER_REPO_BEFORE_RE.search(line[: match.start()]):
                continue  # e.g. "codebuster22/pm-ws-preview `docs/limitless.md`": another repository's file
            if not (DOCS / match.group(1)).is_file():
                problems.append(Problem(f"{where}:{number}", match.group(0), "no such file in docs/"))
    return problems


def _exists(path: str) -> bool:
    return any(ROOT.glob(path)) if "*" in path else (ROOT / path).exists()


def cited_path_problems(text: str, where: str) -> list[Problem]:
    """Outside docs/: paths into this repository (``CITED_PATH_RE``) that do not exist."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        for match in CITED_PATH_RE.finditer(line):
            path = match.group(1)
            if OTHER_REPO_BEFORE_RE.search(line[: match.start()]) or path.startswith(GENERATED_PREFIXES):
                continue
            if not _exists(path):
                problems.append(Problem(f"{where}:{number}", path, "no such path in the repository"))
    return problems


def docs_path_problems(text: str, doc: Path, where: str) -> list[Problem]:
    """In a file of docs/: dangling relative links and repository paths, shared-catalogue and bare fixture paths."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        at = f"{where}:{number}"
        for match in LINK_RE.finditer(line):
            target = match.group(1).split("#", 1)[0]
            if target and "://" not in target and not target.startswith("mailto:"):
                if not (doc.parent / target).exists():
                    problems.append(Problem(at, match.group(0), "link target does not exist"))
        for match in REPO_PATH_RE.finditer(line):
            path = match.group(1)
            if not _exists(path):
                problems.append(Problem(at, path, "no such path in the repository"))
        for match in SHARED_RE.finditer(line):
            problems.append(Problem(at, match.group(0), "cites the team's shared catalogue, which users do not have"))
        for match in BARE_FIXTURE_RE.finditer(line):
            problems.append(Problem(at, line[match.start() : match.start() + 60], "write the repository path polymarket_assets_tests/fixtures/real/…"))
    return problems


def scanned_files() -> list[Path]:
    files = [ROOT / name for name in SCANNED_FILES]
    for folder in SCANNED_DIRS:
        for path in sorted((ROOT / folder).rglob("*")):
            if not path.is_file() or path.suffix not in TEXT_SUFFIXES or path.resolve() == SELF:
                continue
            if SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                continue
            files.append(path)
    return files


def _reference() -> tuple[set[str], set[int]]:
    text = REFERENCE.read_text(encoding="utf-8")
    return reference_sections(text), reference_quirks(text)


def _report(problems: list[Problem]) -> str:
    return f"{len(problems)} broken citation(s):\n" + "\n".join(f"  {p}" for p in problems)


def test_reference_has_the_numbered_sections_and_the_ten_quirks():
    sections, quirks = _reference()
    expected = {
        "0", "0.1", "0.2", "0.3",
        "1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7",
        "2", "2.1", "2.2", "2.3", "2.4", "2.5",
        "3", "3.1", "3.2", "4",
        "5", "5.1", "5.2", "5.3", "5.4", "5.5",
        "6", "7", "7.1", "7.2", "7.3", "7.4", "7.5",
    }  # fmt: skip
    assert expected <= sections, f"missing sections: {sorted(expected - sections)}"
    assert quirks == set(range(1, 11))


def test_every_section_and_quirk_citation_resolves():
    sections, quirks = _reference()
    problems = []
    for path in scanned_files():
        where = str(path.relative_to(ROOT))
        problems += citation_problems(path.read_text(encoding="utf-8"), sections, quirks, where)
    assert not problems, _report(problems)


def test_every_docs_file_mentioned_outside_docs_exists():
    problems = []
    for path in scanned_files():
        if DOCS in path.parents:
            continue
        problems += docs_file_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not problems, _report(problems)


def test_every_repository_path_cited_in_code_readme_and_tests_exists():
    problems = []
    for path in scanned_files():
        if DOCS in path.parents:
            continue
        problems += cited_path_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not problems, _report(problems)


def test_docs_cite_only_paths_that_exist_in_the_repository():
    problems = []
    for path in sorted(DOCS.glob("*.md")):
        problems += docs_path_problems(path.read_text(encoding="utf-8"), path, str(path.relative_to(ROOT)))
    assert not problems, _report(problems)


def test_the_checks_catch_broken_citations():
    """The scanners flag what they must (so a green run means something)."""
    sections, quirks = {"1", "1.1", "6"}, set(range(1, 11))
    text = "ok §1.1 and §6 quirk 9\nbad §9.9\nbad §6.9\nbad (§) here\nbad quirk 11, quirks 2 and 12"
    found = [(p.where, p.text) for p in citation_problems(text, sections, quirks, "x")]
    assert found == [
        ("x:2", "§9.9"),
        ("x:3", "§6.9"),
        ("x:4", "bad (§) here"),
        ("x:5", "quirk 11"),
        ("x:5", "quirks 2 and 12"),
    ]
    assert [p.text for p in docs_file_problems("see docs/nope.md; o/r `docs/other.md`", "x")] == ["docs/nope.md"]
    cited = "see polymarket_assets_tests/test_settings.py, bench/out/x.json, .ci/run, deploy/nope.yaml, o/r `docs/x/y.md`"
    assert [p.text for p in cited_path_problems(cited, "x")] == ["polymarket_assets_tests/test_settings.py", "deploy/nope.yaml"]
    bad_doc = "[a](missing.md) polymarket_assets_tests/fixtures/real/gamma/nope.json ../shared/fixtures/real fixtures/real/x.json"
    reasons = [p.reason for p in docs_path_problems(bad_doc, REFERENCE, "x")]
    assert len(reasons) == 4, reasons
