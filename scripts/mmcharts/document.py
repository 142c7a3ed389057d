"""A report as a list of blocks, written out as Markdown or as HTML.

Text from results files is escaped in both: in Markdown every character that could start
markup (emphasis, links, images, HTML, entities, table cells) is backslash-escaped, code
spans are fenced with more backquotes than they hold, and in table cells a | is escaped
even inside code; in HTML everything goes through html.escape. Control characters and
line breaks are replaced first (text.clean), so a value stays on its line and in its cell.
"""
import base64
import html
import os
import re

from . import outdir
from . import text as tx

MARKDOWN_SPECIAL = "\\`*[]<>|~&#!"   # _ is left: it marks no emphasis inside words
CSS = ("body{font-family:sans-serif;max-width:1320px;margin:2em auto;padding:0 1em;"
       "color:#222}table{border-collapse:collapse;font-size:90%}"
       "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
       "th{background:#f0f0f0}code{font-size:95%}img{max-width:100%;height:auto}"
       "figure{margin:1em 0}.scroll{overflow-x:auto}")


class Code(str):
    """Text shown verbatim (workload names, paths, options)."""


def md_text(text):
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in tx.clean(str(text)))


def md_code(text):
    """A code span holding text exactly: fenced with one backquote more than its longest
    run of them, padded when it starts or ends with one."""
    text = tx.clean(text)
    if not text:
        return ""
    fence = "`" * (max((len(r) for r in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_inline(part):
    return md_code(part) if isinstance(part, Code) else md_text(part)


def md_cell(part):
    """A table cell: a | ends the cell even inside a code span, so it is escaped there too
    (GitHub-flavoured Markdown reads \\| in a cell as |)."""
    return md_inline(part).replace("|", "\\|") if isinstance(part, Code) else md_inline(part)


def html_inline(part):
    text = html.escape(tx.clean(str(part)))
    return f"<code>{text}</code>" if isinstance(part, Code) and text else text


class Document:
    def __init__(self, title):
        self.title = title
        self.blocks = []

    def heading(self, level, text):
        self.blocks.append(("heading", level, text))

    def paragraph(self, *parts):
        self.blocks.append(("paragraph", parts))

    def bullets(self, items):
        if items:
            self.blocks.append(("bullets", items))

    def table(self, header, rows):
        self.blocks.append(("table", header, rows))

    def image(self, path, alt):
        """A PNG chart: linked by its file name in Markdown, embedded in HTML."""
        self.blocks.append(("image", path, alt))

    def figure(self, markup, note):
        """Markup of our own (an SVG flame graph, its strings escaped where it was made):
        in HTML as it is, in Markdown the note (text) in its place."""
        self.blocks.append(("figure", markup, note))

    def markdown(self):
        out = [f"# {md_text(self.title)}", ""]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                out += ["#" * block[1] + " " + md_text(block[2]), ""]
            elif kind == "paragraph":
                out += ["".join(md_inline(p) for p in block[1]), ""]
            elif kind == "bullets":
                out += [f"- {md_inline(item)}" for item in block[1]] + [""]
            elif kind == "table":
                out.append("| " + " | ".join(md_cell(h) for h in block[1]) + " |")
                out.append("|" + "---|" * len(block[1]))
                out += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in block[2]]
                out.append("")
            elif kind == "image":
                out += [f"![{md_text(block[2])}]({os.path.basename(block[1])})", ""]
            elif kind == "figure":
                out += [md_text(block[2]), ""]
        return "\n".join(out)

    def html(self):
        title = html.escape(tx.clean(self.title))
        out = ["<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\">",
               f"<title>{title}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
               f"<h1>{title}</h1>"]
        for block in self.blocks:
            kind = block[0]
            if kind == "heading":
                level = min(block[1], 6)
                out.append(f"<h{level}>{html_inline(block[2])}</h{level}>")
            elif kind == "paragraph":
                out.append("<p>" + "".join(html_inline(p) for p in block[1]) + "</p>")
            elif kind == "bullets":
                out.append("<ul>" + "".join(f"<li>{html_inline(i)}</li>" for i in block[1])
                           + "</ul>")
            elif kind == "table":
                out.append("<div class=\"scroll\"><table><thead><tr>" +
                           "".join(f"<th>{html_inline(h)}</th>" for h in block[1]) +
                           "</tr></thead><tbody>")
                out += ["<tr>" + "".join(f"<td>{html_inline(c)}</td>" for c in row) + "</tr>"
                        for row in block[2]]
                out.append("</tbody></table></div>")
            elif kind == "image":
                data = base64.b64encode(outdir.read_png(block[1])).decode("ascii")
                out.append(f"<figure><img src=\"data:image/png;base64,{data}\" "
                           f"alt=\"{html_inline(block[2])}\"></figure>")
            elif kind == "figure":
                out.append(f"<figure class=\"scroll\">{block[1]}</figure>")
        out += ["</body>", "</html>", ""]
        return "\n".join(out)
