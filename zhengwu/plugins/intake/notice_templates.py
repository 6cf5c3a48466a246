# ruff: noqa: E501
"""The Jinja2 sources of the printed notices (文书), by template version.

Kept as Python strings (no package data to ship); one line of a template is one line of the
printed paragraph, hence the long lines. Frozen once released: a change that alters output
is a new version (a new key of ``TEMPLATES``), so stored notices keep rendering to the bytes
their digest was taken from.
"""

from __future__ import annotations

__all__ = ["TEMPLATES"]

_LAYOUT = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>{{ title }} {{ number }}</title>
<style>
@page { size: A4; margin: 25mm 22mm 20mm 25mm; }
body { font-family: "SimSun", "Songti SC", "Noto Serif CJK SC", serif; font-size: 12pt;
       line-height: 1.8; max-width: 170mm; margin: 0 auto; color: #000; }
h1 { font-family: "SimHei", "Heiti SC", "Noto Sans CJK SC", sans-serif; font-size: 20pt;
     text-align: center; letter-spacing: 0.2em; margin: 0.5em 0 0.2em; }
.issuer { text-align: center; font-size: 14pt; margin: 0; }
.number { text-align: right; margin: 0.2em 0 1.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0; }
th, td { border: 1px solid #000; padding: 2mm 3mm; vertical-align: top; text-align: left; }
th { width: 28%; font-weight: normal; }
.seal { margin-top: 2em; text-align: right; }
.seal .box { display: inline-block; width: 42mm; height: 42mm; border: 1px dashed #000;
             border-radius: 50%; text-align: center; line-height: 42mm; margin-left: 1em; }
.rights, .law { text-indent: 2em; }
.sign { height: 18mm; }
.note { font-size: 10pt; color: #333; }
@media print { .no-print { display: none; } }
</style>
</head>
<body>
<p class="issuer">{{ f.issuer }}{% if f.department and kind in ("approval", "denial") %}　{{ f.department }}{% endif %}</p>
<h1>{{ title }}</h1>
<p class="number">编号：{{ number }}</p>
{% block body %}{% endblock %}
<div class="seal">
  <p>{{ f.issuer }}{% if f.venue %}（{{ f.venue }}）{% endif %}
  <span class="box">（印章）</span></p>
  <p>{{ f.issued_on | zh_date }}</p>
</div>
<p class="note">办件编号 {{ f.case_no }}；本文书编号 {{ number }}，凭编号可核验存档记录。</p>
</body>
</html>
"""

_CASE_TABLE = """<table>
<tr><th>办件编号</th><td>{{ f.case_no }}</td></tr>
<tr><th>申请人</th><td>{{ f.applicant.name }}</td></tr>
{% if f.applicant.kind == "person" %}<tr><th>身份证件号码</th><td>{{ f.applicant.id_number or "—" }}</td></tr>
{% else %}<tr><th>统一社会信用代码</th><td>{{ f.applicant.credit_code or "—" }}</td></tr>{% endif %}
<tr><th>申请事项</th><td>{{ f.item_name }}{% if f.basic_code %}（事项编码 {{ f.basic_code }}）{% endif %}</td></tr>
{% if f.department %}<tr><th>办理部门</th><td>{{ f.department }}</td></tr>{% endif %}
<tr><th>申请日期</th><td>{{ f.submitted_on | zh_date }}</td></tr>
</table>"""

_RIGHTS = """<p class="rights">如不服本{{ doc }}，可以自收到本{{ doc }}之日起六十日内依法向{{ f.rights.review_body or "有管辖权的行政复议机关" }}申请行政复议，或者自收到之日起六个月内依法向{{ f.rights.court or "有管辖权的人民法院" }}提起行政诉讼（《中华人民共和国行政复议法》第二十条，《中华人民共和国行政诉讼法》第四十六条）。</p>"""

_ACCEPTANCE = """{% extends "layout" %}{% block body %}
<p>{{ f.applicant.name }}：</p>
<p class="law">你（单位）于{{ f.submitted_on | zh_date }}提出的“{{ f.item_name }}”申请，经审查，{% if f.tolerated_missing %}主要申请材料齐全、符合法定形式，{% else %}申请材料齐全、符合法定形式，{% endif %}根据《中华人民共和国行政许可法》第三十二条第一款的规定，本机关决定予以受理，受理日期为{{ f.accepted_on | zh_date }}。{% if f.deemed_from_receipt %}因补正材料通知未在法定期限内送达，依照该法第三十二条第一款第（四）项，自收到申请材料之日起即为受理。{% endif %}</p>
""" + _CASE_TABLE + """
<table>
{% if f.statutory_days is not none %}<tr><th>法定办结时限</th><td>{{ f.statutory_days }} 个工作日</td></tr>{% endif %}
{% if f.promised_days is not none %}<tr><th>承诺办结时限</th><td>{{ f.promised_days }} 个工作日</td></tr>{% endif %}
<tr><th>承诺办结日期</th><td>{% if f.due_date %}{{ f.due_date | zh_date }}{% if f.due_provisional %}（暂定：当年节假日安排尚未公布）{% endif %}{% else %}—{% endif %}</td></tr>
{% if f.derivation %}<tr><th>期限计算</th><td>自{{ f.derivation.start | zh_date }}起计算 {{ f.derivation.limit }} 个工作日，至{{ f.derivation.due | zh_date }}止；{% for h in f.derivation.holidays %}{{ h.name }}（{{ h["from"] | zh_date }}{% if h.days > 1 %}至{{ h.to | zh_date }}{% endif %}，{{ h.days }} 日）、{% endfor %}休息日 {{ f.derivation.weekend_days }} 日{% if f.derivation.paused_days %}、暂停计时 {{ f.derivation.paused_days }} 日{% endif %}不计算在内（《中华人民共和国行政许可法》第八十二条）。</td></tr>{% endif %}
</table>
{% if f.materials %}<p>已收申请材料：</p>
<table><tr><th>材料名称</th><td>原件 / 复印件（份）</td></tr>
{% for m in f.materials %}<tr><th>{{ m.name }}</th><td>{{ m.originals }} / {{ m.copies }}</td></tr>{% endfor %}
</table>{% endif %}
{% if f.tolerated_missing %}<p class="law">容缺受理：以下材料请按承诺于作出决定前补齐，逾期未补齐的，将依法作出处理：{{ f.tolerated_missing | join("、") }}。</p>{% endif %}
{% if f.parts %}<p>并联审批各事项：</p>
<table><tr><th>子办件编号</th><td>事项 / 部门 / 承诺办结日期</td></tr>
{% for p in f.parts %}<tr><th>{{ p.case_no }}</th><td>{{ p.item_name }} / {{ p.department or "—" }} / {{ p.due_date | zh_date }}</td></tr>{% endfor %}
</table>{% endif %}
<p class="law">请凭办件编号查询办理进度、领取办理结果。</p>
{% endblock %}"""

_NON_ACCEPTANCE = """{% extends "layout" %}{% block body %}
<p>{{ f.applicant.name }}：</p>
<p class="law">你（单位）于{{ f.submitted_on | zh_date }}提出的“{{ f.item_name }}”申请，经审查，{{ f.reason | clause }}。依据{{ f.basis | clause }}，本机关决定不予受理（《中华人民共和国行政许可法》第三十二条）。</p>
""" + _CASE_TABLE + """
<table><tr><th>不予受理日期</th><td>{{ f.not_accepted_on | zh_date }}</td></tr>
<tr><th>不予受理理由</th><td>{{ f.reason }}</td></tr>
<tr><th>法律依据</th><td>{{ f.basis }}</td></tr></table>
{% with doc = "通知书" %}""" + _RIGHTS + """{% endwith %}
{% endblock %}"""

_SUPPLEMENT = """{% extends "layout" %}{% block body %}
<p>{{ f.applicant.name }}：</p>
<p class="law">你（单位）于{{ f.submitted_on | zh_date }}提出的“{{ f.item_name }}”申请，经审查，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》第三十二条第一款第（四）项的规定，现一次性告知你（单位）需要补正的全部内容（第 {{ f.round }} 次补正）：</p>
""" + _CASE_TABLE + """
<table><tr><th>序号 / 材料名称</th><td>补正原因 / 要求</td></tr>
{% for i in f["items"] %}<tr><th>{{ loop.index }}. {{ i.name }}（材料序号 {{ i.seq }}）</th><td>{{ "缺失，请补交" if i.problem == "missing" else "不符合要求，请更正后重新提交" }}{% if i.note %}：{{ i.note }}{% endif %}</td></tr>{% endfor %}
</table>
{% if f.note %}<p class="law">说明：{{ f.note }}</p>{% endif %}
<p class="law">请按上述要求一次补齐全部材料后提交。{% if f.after_acceptance %}补正期间不计入办理时限，自收到全部补正材料之日起恢复计时。{% else %}自收到全部补正材料之日起受理审查。{% endif %}</p>
{% if f.notify_by %}<p class="note">依法应于{{ f.notify_by | zh_date }}前告知{% if f.late %}；本通知逾期发出，申请自收到材料之日起即为受理{% endif %}。</p>{% endif %}
{% endblock %}"""

_DECISION = """{% extends "layout" %}{% block body %}
<p>{{ f.applicant.name }}：</p>
{% if kind == "approval" %}<p class="law">你（单位）于{{ f.submitted_on | zh_date }}提出的“{{ f.item_name }}”申请，本机关于{{ f.accepted_on | zh_date }}受理。经审查，申请符合法定条件、标准，{% if f.licensing %}根据《中华人民共和国行政许可法》第三十八条第一款的规定，决定准予行政许可{% else %}根据有关法律法规的规定，决定准予办理{% endif %}。</p>
{% if f.licensing %}<p class="law">本机关将自作出决定之日起十日内向你（单位）颁发、送达行政许可证件（《中华人民共和国行政许可法》第四十四条）。</p>{% endif %}
{% else %}<p class="law">你（单位）于{{ f.submitted_on | zh_date }}提出的“{{ f.item_name }}”申请，本机关于{{ f.accepted_on | zh_date }}受理。经审查，{{ f.reason | clause }}。{% if f.licensing %}根据《中华人民共和国行政许可法》第三十八条第二款的规定，决定不予行政许可{% else %}根据有关法律法规的规定，决定不予办理{% endif %}。</p>
{% endif %}
""" + _CASE_TABLE + """
<table><tr><th>决定日期</th><td>{{ f.decided_on | zh_date }}</td></tr>
{% if f.due_date %}<tr><th>承诺办结日期</th><td>{{ f.due_date | zh_date }}</td></tr>{% endif %}
{% if kind == "denial" %}<tr><th>不予{{ "许可" if f.licensing else "办理" }}理由</th><td>{{ f.reason }}</td></tr>{% endif %}
</table>
{% if kind == "denial" %}{% with doc = "决定" %}""" + _RIGHTS + """{% endwith %}{% endif %}
{% endblock %}"""

_DELIVERY = """{% extends "layout" %}{% block body %}
<table>
<tr><th>送达文书名称及编号</th><td>{% for d in f.documents %}《{{ d.title }}》{{ d.number }}{% if not loop.last %}<br>{% endif %}{% else %}办理结果{% endfor %}</td></tr>
<tr><th>办件编号</th><td>{{ f.case_no }}</td></tr>
<tr><th>申请事项</th><td>{{ f.item_name }}</td></tr>
<tr><th>受送达人</th><td>{{ f.applicant.name }}{% if f.applicant.kind == "person" and f.applicant.id_number %}（身份证件号码 {{ f.applicant.id_number }}）{% elif f.applicant.credit_code %}（统一社会信用代码 {{ f.applicant.credit_code }}）{% endif %}</td></tr>
<tr><th>送达地点</th><td>{{ f.venue or f.accepting }}{% if f.window %} {{ f.window }} 号窗口{% endif %}</td></tr>
<tr><th>送达方式</th><td>{{ methods[f.method] if f.method in methods else f.method }}</td></tr>
<tr><th>送达日期</th><td>{{ f.delivered_on | zh_date }}</td></tr>
<tr><th>送达人</th><td>{{ f.delivered_by }}</td></tr>
<tr><th>受送达人签名（盖章）</th><td class="sign"></td></tr>
<tr><th>签收日期</th><td class="sign">　　年　　月　　日</td></tr>
<tr><th>备注</th><td>{{ f.note or "" }}</td></tr>
</table>
{% endblock %}"""

_LIMITS = """{% if f.accepted_on %}<tr><th>受理日期</th><td>{{ f.accepted_on | zh_date }}</td></tr>{% endif %}
{% if f.statutory_days is not none %}<tr><th>法定办结时限</th><td>{{ f.statutory_days }} 个工作日</td></tr>{% endif %}
{% if f.promised_days is not none %}<tr><th>承诺办结时限</th><td>{{ f.promised_days }} 个工作日</td></tr>{% endif %}"""

_SUSPENSION = """{% extends "layout" %}{% block body %}
<p>{{ f.applicant.name }}：</p>
<p class="law">你（单位）于{{ f.submitted_on | zh_date }}提出的“{{ f.item_name }}”申请，本机关{% if f.accepted_on %}于{{ f.accepted_on | zh_date }}{% endif %}受理后，因{{ f.reason | clause }}，需要进行{{ f.procedure }}，自{{ f.suspended_on | zh_date }}起进入特别程序（第 {{ f.seq }} 次）。根据《中华人民共和国行政许可法》第四十五条的规定，{{ f.procedure }}所需时间不计算在办理期限内，现书面告知。</p>
""" + _CASE_TABLE + """
<table>
<tr><th>特别程序</th><td>{{ f.procedure }}</td></tr>
<tr><th>原因</th><td>{{ f.reason }}</td></tr>
<tr><th>暂停计时起始日期</th><td>{{ f.suspended_on | zh_date }}</td></tr>
""" + _LIMITS + """
<tr><th>暂停前的承诺办结日期</th><td>{{ f.due_date | zh_date }}</td></tr>
</table>
<p class="law">特别程序结束之日起恢复计时，办结日期按暂停的工作日数顺延，本机关将另行告知。</p>
{% endblock %}"""

_EXTENSION = """{% extends "layout" %}{% block body %}
<p>{{ f.applicant.name }}：</p>
<p class="law">你（单位）于{{ f.submitted_on | zh_date }}提出的“{{ f.item_name }}”申请，本机关{% if f.accepted_on %}于{{ f.accepted_on | zh_date }}{% endif %}受理。因{{ f.reason | clause }}，不能在规定期限内作出决定，经本机关负责人批准，{% if f.licensing %}根据《中华人民共和国行政许可法》第四十二条第一款的规定，{% endif %}办理期限延长 {{ f.days }} 个工作日，现将延长期限的理由告知你（单位）。</p>
""" + _CASE_TABLE + """
<table>
""" + _LIMITS + """
<tr><th>原承诺办结日期</th><td>{{ f.due_before | zh_date }}</td></tr>
<tr><th>延长期限</th><td>{{ f.days }} 个工作日</td></tr>
<tr><th>延长理由</th><td>{{ f.reason }}</td></tr>
<tr><th>延长后的办结日期</th><td>{{ f.due_date | zh_date }}{% if f.due_provisional %}（暂定：当年节假日安排尚未公布）{% endif %}</td></tr>
<tr><th>批准日期 / 批准人</th><td>{{ f.extended_on | zh_date }} / {{ f.approved_by }}</td></tr>
</table>
{% endblock %}"""

_WITHDRAWAL = """{% extends "layout" %}{% block body %}
<p>{{ f.applicant.name }}：</p>
<p class="law">你（单位）于{{ f.submitted_on | zh_date }}提出的“{{ f.item_name }}”申请，{% if f.accepted %}本机关于{{ f.accepted_on | zh_date }}受理，{% endif %}经你（单位）申请，已于{{ f.withdrawn_on | zh_date }}撤回，本机关终止办理。申请材料可凭本确认书到{{ f.venue or f.accepting }}领回。</p>
""" + _CASE_TABLE + """
<table>
<tr><th>撤回日期</th><td>{{ f.withdrawn_on | zh_date }}</td></tr>
<tr><th>撤回时办理阶段</th><td>{{ f.stage }}</td></tr>
<tr><th>撤回理由</th><td>{{ f.reason }}</td></tr>
<tr><th>经办人</th><td>{{ f.recorded_by }}</td></tr>
{% if f.parts %}<tr><th>一并撤回的子办件</th><td>{% for p in f.parts %}{{ p.case_no }} {{ p.item_name }}{% if p.department %}（{{ p.department }}）{% endif %}{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>{% endif %}
<tr><th>申请人签名（盖章）</th><td class="sign"></td></tr>
</table>
{% endblock %}"""

TEMPLATES: dict[int, dict[str, str]] = {1: {
    "layout": _LAYOUT, "acceptance": _ACCEPTANCE, "non_acceptance": _NON_ACCEPTANCE,
    "supplement": _SUPPLEMENT, "approval": _DECISION, "denial": _DECISION, "delivery": _DELIVERY,
    "suspension": _SUSPENSION, "extension": _EXTENSION, "withdrawal": _WITHDRAWAL,
}}
