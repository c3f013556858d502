"""The knowledge base's files: a pack's ``kb/<name>.<lang>.md`` split into answers at ``##``
headings (:func:`parse_markdown`), and the authoring mistakes ``dhe pack check`` reports in them
(:func:`lint_markdown`). Searched by :mod:`dialog.kb`.

HTML comments inside a section are not spoken: ``<!-- q: ... -->`` lists extra keywords to index,
``<!-- questions: ... | ... -->`` lists questions the section answers (separated by ``|`` or line
breaks), and any other comment is a note for the operator (``<!-- sample rule -->`` beside a
made-up figure). A label such as "Sample rule:" or （示例规则） written in the answer itself would
be spoken to the visitor; :func:`lint_markdown` reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_COMMENT_Q = re.compile(r"<!--\s*q:(.*?)-->", re.S)
_COMMENT_QUESTIONS = re.compile(r"<!--\s*questions:(.*?)-->", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
#: An operator's label left in spoken text: "Sample rule: ...", "(sample terms)", 示例规则：...,
#: （示例费率）. Such a label belongs in a comment (session 13's newcomer trial heard the avatar
#: say "Sample rules: a business files ...").
_SPOKEN_LABEL = re.compile(
    r"(?:^|[(（,，]\s*)(?:sample\b[^.:()]{0,30}[:)]|示例[^。：）]{0,6}[：）])", re.I | re.M
)
_MD_MARKUP = re.compile(r"[*_`>#|]+|\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True, slots=True)
class Section:
    """One answer of the knowledge base.

    Attributes:
        file: the Markdown file name.
        heading: the ``##`` heading.
        text: the answer to speak (Markdown markup and comments removed).
        keywords: extra words to index, from ``<!-- q: ... -->``.
        questions: the questions it answers, from ``<!-- questions: ... -->``.
        language: ``"en"`` or ``"zh"``.
        title: the file's ``#`` title without a trailing parenthesis ("Harbour Bank branch
            FAQ"), the source a visitor is shown.
    """

    file: str
    heading: str
    text: str
    keywords: str
    questions: tuple[str, ...]
    language: str
    title: str = ""

    @property
    def source(self) -> str:
        """The citation: ``"<file> § <heading>"``."""
        return f"{self.file} § {self.heading}"


def parse_markdown(path: Path) -> list[Section]:
    """Split one ``<name>.<lang>.md`` file into sections at ``##`` headings.

    Args:
        path: the file; its language is the part before ``.md`` (``faq.zh.md`` → ``zh``).

    Returns:
        The sections with non-empty text, in file order.
    """
    language = path.suffixes[-2].lstrip(".") if len(path.suffixes) >= 2 else "en"
    sections: list[Section] = []
    heading, body, title = None, [], ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), "## "]:
        if line.startswith("# ") and heading is None and not title:
            title = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", line[2:]).strip()
        if line.startswith("## "):
            if heading:
                raw = "\n".join(body)
                keywords = " ".join(q.strip() for q in _COMMENT_Q.findall(raw))
                questions = tuple(
                    q.strip()
                    for comment in _COMMENT_QUESTIONS.findall(raw)
                    for q in re.split(r"[|\n]", comment)
                    if q.strip()
                )
                raw = _COMMENT.sub("", raw)
                text = _MD_MARKUP.sub(lambda m: m.group(1) or "", raw)
                text = re.sub(r"\s*\n\s*", " ", text).strip()
                if text:
                    sections.append(
                        Section(path.name, heading, text, keywords, questions, language, title)
                    )
            heading, body = line[3:].strip(), []
        elif heading is not None:
            body.append(line)
    return sections


def lint_markdown(path: Path) -> list[tuple[int, str]]:
    """Authoring mistakes in one knowledge-base file, for ``dhe pack check``.

    Finds an HTML comment that is not closed before the next comment, heading or the end of the
    file (the text after it would be lost or, for a later comment, spoken), an empty
    ``questions:`` list, a heading used twice in the file, a section without answer text
    (:func:`parse_markdown` skips it silently), and an operator's label in the spoken text
    ("Sample rule:", （示例规则）: :data:`_SPOKEN_LABEL`).

    Returns:
        ``(line, message)`` pairs, 1-based lines.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    heading, heading_line, has_text, open_at = None, 0, False, 0
    unclosed = "comment '<!--' is not closed with '-->'"
    for number, line in enumerate([*lines, "## "], start=1):
        if open_at:
            end, start = line.find("-->"), line.find("<!--")
            if end >= 0 and (start < 0 or end < start):
                open_at, line = 0, line[end + 3 :]
            elif line.startswith("## ") or start >= 0:
                problems.append((open_at, unclosed))
                open_at = 0
            else:
                continue
        if line.startswith("## "):
            if heading is not None and not has_text:
                problems.append((heading_line, f"section {heading!r} has no answer text"))
            heading, heading_line, has_text = line[3:].strip(), number, False
            if heading in seen and number <= len(lines):
                problems.append((number, f"heading {heading!r} repeats line {seen[heading]}"))
            seen.setdefault(heading, number)
            continue
        rest = line
        while "<!--" in rest:
            before, _, after = rest.partition("<!--")
            has_text = has_text or bool(before.strip())
            body, closed, rest = after.partition("-->")
            if not closed:
                open_at, rest = number, ""
                break
            kind, colon, listed = body.strip().partition(":")
            if colon and kind.strip() == "questions" and not re.sub(r"[|\s]", "", listed):
                problems.append((number, "empty 'questions:' list"))
        has_text = has_text or (heading is not None and bool(rest.strip()))
        label = _SPOKEN_LABEL.search(_COMMENT.sub("", line)) if not open_at else None
        if heading is not None and label is not None:
            problems.append(
                (
                    number,
                    f"label {label.group(0).strip(' ,，')!r} would be spoken: put it in a comment",
                )
            )
    return sorted(problems)
