"""HTML of the public service guides: the list, one guide (printable), the flowchart, errors.

Everything goes through Jinja2 with autoescaping on, so catalog text (item names, legal
bases, material names) always shows as text. The flowchart (权力运行流程图) is a plain
inline SVG laid out here: a column of boxes joined by arrows, from 开始 through every
procedure step in order to 结束; it needs no script and prints as drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import DictLoader, Environment, StrictUndefined, select_autoescape
from markupsafe import Markup

from zhengwu.core.catalog.codes import ITEM_TYPES
from zhengwu.core.catalog.guide import Guide, GuidePage

__all__ = ["days_text", "flowchart_svg", "render_error", "render_guide", "render_list",
           "visits_text", "web_url"]


def days_text(days: int | None) -> str:
    """``20`` → ``20 个工作日``; ``0`` → ``当场办结``; ``None`` → ``—``."""
    if days is None:
        return "—"
    return "当场办结" if days == 0 else f"{days} 个工作日"


def visits_text(visits: int | None) -> str:
    if visits is None:
        return "—"
    return "零跑动（最多跑 0 次）" if visits == 0 else f"最多跑 {visits} 次"


def web_url(url: str | None) -> bool:
    """Only http(s) addresses become links (a ``javascript:`` URL in catalog data stays text)."""
    return bool(url) and urlsplit(str(url).strip()).scheme.lower() in ("http", "https")


# ---------------------------------------------------------------- flowchart

_WIDTH, _BOX_W, _X = 560, 440, 60
_LINE, _PAD, _GAP, _CHARS = 20, 12, 34, 22


@dataclass(frozen=True, slots=True)
class _Node:
    y: int
    height: int
    lines: tuple[str, ...]
    detail: str | None
    terminal: bool

    @property
    def cx(self) -> int:
        return _X + _BOX_W // 2

    @property
    def bottom(self) -> int:
        return self.y + self.height


def _wrap(text: str, width: int = _CHARS) -> tuple[str, ...]:
    return tuple(text[i:i + width] for i in range(0, len(text), width)) or ("",)


def _layout(guide: Guide) -> tuple[list[_Node], int]:
    nodes: list[_Node] = []
    y = 10
    entries: list[tuple[str, str | None, bool]] = [("开始：申请人提出申请", None, True)]
    for step in guide.steps:
        parts = (f"承办：{step.role}" if step.role else "",
                 f"时限：{days_text(step.limit_days)}" if step.limit_days is not None else "")
        entries.append((f"{step.seq}. {step.name}", "　".join(p for p in parts if p) or None, False))
    entries.append(("结束：办结", None, True))
    for label, detail, terminal in entries:
        lines = _wrap(label)
        height = 2 * _PAD + _LINE * (len(lines) + (1 if detail else 0))
        nodes.append(_Node(y, height, lines, detail, terminal))
        y += height + _GAP
    return nodes, y - _GAP + 10


_ENV = Environment(
    loader=DictLoader({}), autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters["days"] = days_text
_ENV.filters["visits"] = visits_text
_ENV.filters["yesno"] = lambda v: "是" if v else "否"
_ENV.tests["web_url"] = web_url

_FLOW = _ENV.from_string("""\
<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" role="img" aria-labelledby="flow-title"
     viewBox="0 0 {{ width }} {{ height }}" width="{{ width }}" height="{{ height }}">
<title id="flow-title">{{ name }} 办理流程图</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8"
 orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>
{% for n in nodes %}
<g class="{{ 'terminal' if n.terminal else 'step' }}">
<rect x="{{ x }}" y="{{ n.y }}" width="{{ box_w }}" height="{{ n.height }}"
 rx="{{ n.height // 2 if n.terminal else 4 }}" fill="{{ '#eef3f8' if n.terminal else '#fff' }}"
 stroke="#333" stroke-width="1.5"/>
{% for line in n.lines %}
<text x="{{ n.cx }}" y="{{ n.y + pad + line_h * loop.index - 5 }}" text-anchor="middle"
 font-size="15">{{ line }}</text>
{% endfor %}
{% if n.detail %}
<text x="{{ n.cx }}" y="{{ n.y + pad + line_h * (n.lines | length + 1) - 5 }}" text-anchor="middle"
 font-size="13" fill="#444">{{ n.detail }}</text>
{% endif %}
</g>
{% if not loop.last %}
<line x1="{{ n.cx }}" y1="{{ n.bottom }}" x2="{{ n.cx }}" y2="{{ n.bottom + gap - 2 }}"
 stroke="#333" stroke-width="1.5" marker-end="url(#arrow)"/>
{% endif %}
{% endfor %}
</svg>""")


def flowchart_svg(guide: Guide) -> Markup:
    """The procedure as an SVG flowchart (开始 → every step in order → 结束)."""
    nodes, height = _layout(guide)
    return Markup(_FLOW.render(nodes=nodes, width=_WIDTH, height=height, x=_X, box_w=_BOX_W,
                               pad=_PAD, line_h=_LINE, gap=_GAP, name=guide.name))


# ---------------------------------------------------------------- pages

_STYLE = """\
body{font-family:"Noto Serif CJK SC","Source Han Serif SC","SimSun",serif;margin:0 auto;
max-width:52rem;padding:1rem 1.5rem;line-height:1.6;color:#111}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.15rem;border-bottom:2px solid #345;
padding-bottom:.2rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
th,td{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2;font-weight:600;white-space:nowrap}
table.kv th{width:9rem}.muted{color:#555}.note{background:#fff8e1;border:1px solid #e0c060;
padding:.4rem .6rem}.summary{display:flex;flex-wrap:wrap;gap:.5rem;padding:0;list-style:none}
.summary li{border:1px solid #345;padding:.2rem .6rem}
.flowchart{display:block;max-width:100%;height:auto;margin:.5rem auto}
form.search{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:1rem 0}
nav.pages{margin:1rem 0;display:flex;gap:1rem}
table.kv,.flowchart,.summary{break-inside:avoid-page}
@media print{
@page{size:A4;margin:15mm}
body{max-width:none;padding:0;font-size:11pt}
.no-print,form.search,nav.pages{display:none}
a{color:#000;text-decoration:none}
a[href^="http"]::after{content:" (" attr(href) ")";font-size:9pt;word-break:break-all}
h2{break-after:avoid-page}tr{break-inside:avoid}
}"""

_ENV.globals["style"] = _STYLE

_BASE = """\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}{% endblock %}</title>
<style>{{ style | safe }}</style>
</head>
<body>
{% block body %}{% endblock %}
</body>
</html>
"""

_GUIDE = """\
{% extends "base.html" %}
{% block title %}{{ g.name }} — {{ g.tenant.name }}办事指南{% endblock %}
{% block body %}
<header>
<p class="muted">{{ g.tenant.name }}（{{ g.tenant.code }}）政务服务事项办事指南
<span class="no-print">· <a href="{{ list_href }}">全部事项</a>
· <a href="{{ json_href }}">JSON</a></span></p>
<h1>{{ g.name }}</h1>
<ul class="summary">
<li>{{ g.item_type_name }}</li>
<li>{{ g.case_type_name }}</li>
<li>承诺办结时限：{{ g.promised_days | days }}</li>
<li>{{ g.max_visits | visits }}</li>
<li>{{ "不收费" if g.is_free else "收费" }}</li>
<li>{{ "可网上办理" if g.online else "窗口办理" }}</li>
</ul>
{% if g.under_review %}
<p class="note">本事项的目录信息已变更，本地实施清单正在复核；复核完成前按本指南办理。</p>
{% endif %}
</header>

<section id="basic">
<h2>一、基本信息</h2>
<table class="kv">
<tr><th>事项名称</th><td>{{ g.name }}</td></tr>
<tr><th>基本编码</th><td>{{ g.basic_code }}</td></tr>
<tr><th>实施编码</th><td>{{ g.implementation_code }}</td></tr>
{% if g.local_code %}<tr><th>地方实施编码</th><td>{{ g.local_code }}</td></tr>{% endif %}
<tr><th>事项类型</th><td>{{ g.item_type_name }}（{{ g.item_type }}）</td></tr>
<tr><th>设定依据</th><td>{{ g.legal_basis or "—" }}</td></tr>
<tr><th>权力来源</th><td>{{ g.power_source_name }}</td></tr>
<tr><th>实施主体</th><td>{{ g.department_name }}<br>
<span class="muted">统一社会信用代码：{{ g.department_credit_code }}</span></td></tr>
<tr><th>服务对象</th><td>{{ g.applicant_types | join("、") or "—" }}</td></tr>
<tr><th>办件类型</th><td>{{ g.case_type_name }}</td></tr>
<tr><th>审批结果</th><td>{{ g.result_name or "—" }}
{%- if g.result_type %}（{{ g.result_type }}）{% endif %}</td></tr>
<tr><th>事项版本</th><td>第 {{ g.version }} 版
{%- if g.published_on %}，{{ g.published_on.isoformat() }} 发布{% endif %}</td></tr>
</table>
</section>

<section id="conditions">
<h2>二、受理条件</h2>
<p>{{ g.conditions or "无特别受理条件。" }}</p>
<p><strong>数量限制：</strong>{{ g.quantity_limit or "无数量限制" }}</p>
</section>

<section id="materials">
<h2>三、申请材料</h2>
{% if g.materials %}
<table>
<tr><th>序号</th><th>材料名称</th><th>原件/复印件</th><th>材料形式</th><th>必要性</th><th>空白表格/示例</th><th>依据</th></tr>
{% for m in g.materials %}
<tr><td>{{ loop.index }}</td><td>{{ m.name }}</td><td>{{ m.counts_text }}</td><td>{{ m.form_name }}</td>
<td>{{ "必需" if m.required else "可选" }}</td>
<td>{% if m.blank_form_url is web_url %}<a href="{{ m.blank_form_url }}">空白表格</a>
{% elif m.blank_form_url %}空白表格：{{ m.blank_form_url }}{% endif %}
{% if m.sample_url is web_url %} <a href="{{ m.sample_url }}">示例样表</a>
{% elif m.sample_url %} 示例样表：{{ m.sample_url }}{% endif %}
{% if not m.blank_form_url and not m.sample_url %}—{% endif %}</td>
<td>{{ m.legal_basis or "—" }}</td></tr>
{% endfor %}
</table>
{% else %}
<p>无需提交申请材料。</p>
{% endif %}
</section>

<section id="fees">
<h2>四、收费</h2>
{% if g.is_free %}
<p>不收费</p>
{% else %}
<table>
<tr><th>收费项目</th><th>收费标准</th><th>本地收费</th><th>收费依据</th><th>减免</th></tr>
{% for f in g.fees %}
<tr><td>{{ f.name }}</td><td>{{ f.standard }}</td>
<td>{{ (f.amount_yuan ~ " 元") if f.amount_yuan else "按标准" }}</td>
<td>{{ f.basis or "—" }}</td>
<td>{{ ("可减免：" ~ (f.reduction_basis or "")) if f.reducible else "不减免" }}</td></tr>
{% endfor %}
</table>
{% endif %}
</section>

<section id="limits">
<h2>五、办理时限</h2>
<table class="kv">
<tr><th>法定办结时限</th><td>{{ g.statutory_days | days }}</td></tr>
<tr><th>承诺办结时限</th><td>{{ g.promised_days | days }}</td></tr>
<tr><th>办件类型</th><td>{{ g.case_type_name }}</td></tr>
</table>
<p class="muted">时限自受理之日起按工作日计算，法定节假日不计算在内。</p>
</section>

<section id="procedure">
<h2>六、办理流程</h2>
{% if g.steps %}
{{ flowchart }}
<table>
<tr><th>环节</th><th>环节名称</th><th>承办</th><th>时限</th></tr>
{% for s in g.steps %}
<tr><td>{{ s.seq }}</td><td>{{ s.name }}</td><td>{{ s.role or "—" }}</td>
<td>{{ s.limit_days | days }}</td></tr>
{% endfor %}
</table>
{% else %}
<p>本事项未列明办理环节。</p>
{% endif %}
</section>

<section id="place">
<h2>七、办理地点和时间</h2>
<table class="kv">
<tr><th>服务场所</th><td>{{ g.place.venue or "—" }}</td></tr>
<tr><th>办理地点</th><td>{{ g.place.address or "—" }}</td></tr>
<tr><th>办理窗口</th><td>{{ g.place.window or "—" }}</td></tr>
<tr><th>办理时间</th><td>{{ g.place.hours }}</td></tr>
<tr><th>进驻政务大厅</th><td>{{ g.in_hall | yesno }}
{%- if g.not_in_hall_reason %}（{{ g.not_in_hall_reason }}）{% endif %}</td></tr>
</table>
</section>

<section id="channels">
<h2>八、办理方式</h2>
<table class="kv">
<tr><th>到办事现场次数</th><td>{{ g.max_visits | visits }}</td></tr>
<tr><th>网上办理</th><td>{% if g.online %}可网上办理
{%- if g.online_url is web_url %}：<a href="{{ g.online_url }}">{{ g.online_url }}</a>
{%- elif g.online_url %}：{{ g.online_url }}{% endif %}
{%- else %}不支持网上办理{% endif %}</td></tr>
<tr><th>网上办理深度</th><td>{{ g.online_depth_name or "—" }}</td></tr>
<tr><th>预约办理</th><td>{{ "支持预约" if g.appointment else "不支持预约" }}</td></tr>
<tr><th>物流快递</th><td>{{ "支持快递送达" if g.courier else "不支持快递送达" }}</td></tr>
</table>
</section>

<section id="contact">
<h2>九、咨询方式</h2>
<table class="kv">
<tr><th>咨询电话</th><td>{{ g.contact.phone }}</td></tr>
<tr><th>监督投诉</th><td>政务服务便民热线 {{ g.contact.hotline }}</td></tr>
</table>
</section>

<footer class="muted">
<p>本指南依据{{ g.tenant.name }}政务服务事项实施清单生成，一次性告知办理所需全部信息。</p>
</footer>
{% endblock %}
"""

_LIST = """\
{% extends "base.html" %}
{% block title %}{{ page.tenant.name }}办事指南{% endblock %}
{% block body %}
<h1>{{ page.tenant.name }}办事指南</h1>
<form class="search" method="get" action="{{ list_href }}">
<label>事项名称 <input type="search" name="q" value="{{ q }}" maxlength="100"></label>
<label>事项类型 <select name="type">
<option value="">全部</option>
{% for code, name in types %}
<option value="{{ code }}"{% if code == item_type %} selected{% endif %}>{{ name }}</option>
{% endfor %}
</select></label>
<button type="submit">查询</button>
</form>
<p>共 {{ page.total }} 项</p>
{% if page.items %}
<table>
<tr><th>事项名称</th><th>事项类型</th><th>实施主体</th><th>办件类型</th><th>承诺时限</th><th>到现场次数</th><th>网办</th></tr>
{% for i in page.items %}
<tr><td><a href="{{ guide_href(i.implementation_code) }}">{{ i.name }}</a></td>
<td>{{ i.item_type_name }}</td><td>{{ i.department_name }}</td><td>{{ i.case_type_name }}</td>
<td>{{ i.promised_days | days }}</td><td>{{ i.max_visits | visits }}</td><td>{{ i.online | yesno }}</td></tr>
{% endfor %}
</table>
{% else %}
<p>没有符合条件的事项。</p>
{% endif %}
<nav class="pages">
{% if first_href %}<a href="{{ first_href }}">第一页</a>{% endif %}
{% if next_href %}<a href="{{ next_href }}" rel="next">下一页</a>{% endif %}
</nav>
{% endblock %}
"""

_ERROR = """\
{% extends "base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block body %}
<h1>{{ title }}</h1>
<p>{{ message }}</p>
{% endblock %}
"""

_ENV.loader = DictLoader({"base.html": _BASE, "guide.html": _GUIDE, "list.html": _LIST,
                          "error.html": _ERROR})


def _code_href(tenant_code: str, *parts: str) -> str:
    return "/".join(["/public", quote(tenant_code, safe=""), *(quote(p, safe=".") for p in parts)])


def render_guide(guide: Guide) -> str:
    """The printable page of one guide."""
    code = guide.tenant.code
    return _ENV.get_template("guide.html").render(
        g=guide, flowchart=flowchart_svg(guide), list_href=_code_href(code, "guides"),
        json_href=_code_href(code, "guides", f"{guide.implementation_code}.json"))


def render_list(page: GuidePage, *, q: str | None, item_type: str | None, limit: int,
                after: str | None) -> str:
    """The searchable list page, with links to the next and the first page."""
    code = page.tenant.code
    list_href = _code_href(code, "guides")
    params = {k: v for k, v in (("q", q or ""), ("type", item_type or "")) if v}
    if limit != 20:
        params["limit"] = str(limit)
    next_href = (f"{list_href}?{urlencode({**params, 'after': page.next_after})}"
                 if page.next_after else None)
    first_href = (f"{list_href}?{urlencode(params)}" if params else list_href) if after else None
    return _ENV.get_template("list.html").render(
        page=page, q=q or "", item_type=item_type or "", types=list(ITEM_TYPES.items()),
        list_href=list_href, next_href=next_href, first_href=first_href,
        guide_href=lambda impl: _code_href(code, "guides", impl))


def render_error(status: int, message: str) -> str:
    """A plain error page (404 未找到, 400 请求有误)."""
    title = {404: "未找到", 400: "请求有误", 422: "请求有误"}.get(status, "出错了")
    return _ENV.get_template("error.html").render(title=f"{status} {title}", message=message)
