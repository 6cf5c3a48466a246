# ruff: noqa: E501
"""The bulletin's HTML template, kept as a string (package data is not configured for new
folders). Rendered by ``bulletin`` with autoescape on: names and titles are escaped."""

from __future__ import annotations

__all__ = ["BULLETIN_HTML"]

BULLETIN_HTML = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ b.title }}</title>
<style>
body { font-family: "SimSun", "Songti SC", serif; margin: 2em auto; max-width: 60em; }
h1 { text-align: center; font-size: 1.6em; }
p.meta { text-align: center; color: #555; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border: 1px solid #333; padding: .3em .5em; text-align: center; }
td.name { text-align: left; }
.missing { color: #a00; }
</style>
</head>
<body>
<h1>{{ b.title }}</h1>
<p class="meta">{{ b.tenant_name }} · {{ b.system_name }}（第{{ b.system_version }}版） · {{ b.period_label }}
 · 考核对象 {{ b.rows|length }} 个 · 摘要 <code>{{ b.digest[:16] }}</code></p>
<h2>一、排名</h2>
<table id="ranking">
<thead><tr><th>名次</th><th>考核对象</th><th>区划代码</th>{% for c in b.columns %}<th>{{ c.name }}<br><small>{{ '%.2f'|format(c.points) }}分</small></th>{% endfor %}<th>总分</th></tr></thead>
<tbody>
{% for r in b.rows %}<tr><td>{{ r.rank }}</td><td class="name">{{ r.name }}</td><td>{{ r.code }}</td>{% for c in b.columns %}<td>{{ '%.2f'|format(r.scores.get(c.key, 0)) }}</td>{% endfor %}<td><strong>{{ '%.2f'|format(r.total) }}</strong></td></tr>
{% endfor %}</tbody>
</table>
<h2>二、排名图</h2>
<svg xmlns="http://www.w3.org/2000/svg" width="{{ b.chart.width }}" height="{{ b.chart.height }}" role="img" aria-label="{{ b.title }} 排名图">
{% for bar in b.chart.bars %}<text x="{{ b.chart.label_width - 6 }}" y="{{ bar.y + 14 }}" text-anchor="end" font-size="13">{{ bar.rank }}. {{ bar.name }}</text>
<rect x="{{ b.chart.label_width }}" y="{{ bar.y }}" width="{{ bar.width }}" height="18" fill="#b22222"></rect>
<text x="{{ b.chart.label_width + bar.width + 4 }}" y="{{ bar.y + 14 }}" font-size="12">{{ '%.2f'|format(bar.total) }}</text>
{% endfor %}</svg>
{% if b.missing %}<h2>三、缺少数据</h2>
<p class="missing">以下考核对象的指标没有数据或尚未人工评分，按0分计：</p>
<ul>{% for m in b.missing %}<li>{{ m.target_name }}（{{ m.target }}）— {{ m.indicator_name }}：{{ '无数据' if m.reason == 'no_value' else '未评分' }}</li>{% endfor %}</ul>
{% endif %}
<p class="meta">生成于 {{ b.created_at }} · 由 {{ b.created_by }} 运行 · 同样输入重新运行得到同样结果</p>
</body>
</html>
"""
