"""Write a complete, plausible default 指挥手册 for a city (developer tool, not used at run time).

    python -m standards.tools.build_default_handbook standards/cities/shuozhou

One rule per subclass of GB/T 47678.5-2026 (153 components + 250 matters). Values marked EXAMPLE come from the
local examples in /work/shared/standards/case_time_limits.csv; everything else is a DEFAULT chosen here by
keyword (department, handling class, limit) that the city is expected to review. The output is data: edit the
CSV afterwards, do not rerun over a city's edited file.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from standards.catalogue import load_catalogue

EX = "EXAMPLE"
EX_SRC = "/work/shared/standards/case_time_limits.csv (local example, https://renrendoc.com/paper/191493937.html)"

# department codes of the Shuozhou default departments.csv, by kind
D = {"urban_management": "14060001", "enforcement": "14060002", "sanitation": "14060003", "landscaping": "14060004",
     "municipal": "14060005", "housing_construction": "14060006", "natural_resources": "14060007",
     "transport": "14060008", "traffic_police": "14060009", "public_security": "14060010",
     "market_regulation": "14060011", "ecology": "14060012", "water": "14060013", "water_supply": "14060014",
     "power": "14060015", "telecom": "14060016", "gas": "14060017", "heating": "14060018",
     "civil_affairs": "14060019", "culture_tourism": "14060020", "post": "14060021", "fire": "14060022"}

# first matching keyword wins
COMPONENT_DEPT = [
    ("路灯", "municipal"), ("地灯", "municipal"), ("景观灯", "municipal"), ("园林井盖", "landscaping"),
    ("燃气", "gas"), ("输油", "gas"), ("热力", "heating"), ("供热", "heating"), ("消防", "fire"),
    ("供水", "water_supply"), ("水井", "water_supply"), ("水鹤", "water_supply"), ("水塔", "water_supply"),
    ("中水", "water_supply"), ("污水口", "ecology"), ("污水监测", "ecology"), ("污水", "municipal"),
    ("雨水", "municipal"), ("化粪池", "sanitation"), ("排水", "municipal"), ("电力", "power"), ("电缆", "power"),
    ("变压器", "power"), ("高压线", "power"), ("通信", "telecom"), ("电视", "telecom"), ("网络", "telecom"),
    ("电话亭", "telecom"), ("公安", "public_security"), ("治安", "public_security"), ("监控", "public_security"),
    ("报警", "public_security"), ("信号灯", "traffic_police"), ("交通信号", "traffic_police"),
    ("交通标志", "traffic_police"), ("交通岗亭", "traffic_police"), ("交通护栏", "traffic_police"),
    ("防撞桶", "traffic_police"), ("安全岛", "traffic_police"), ("人行横道", "traffic_police"),
    ("减速带", "traffic_police"), ("反视镜", "traffic_police"), ("限高", "traffic_police"),
    ("柔性隔离", "traffic_police"), ("道路信息显示屏", "traffic_police"), ("停车信息", "traffic_police"),
    ("公交", "transport"), ("出租车", "transport"), ("停车", "transport"), ("车库", "transport"),
    ("隧道", "transport"), ("铁道", "transport"), ("铁路", "transport"), ("轨道", "transport"),
    ("港监", "transport"), ("栈桥", "transport"), ("邮筒", "post"), ("快递柜", "post"),
    ("厕", "sanitation"), ("垃圾", "sanitation"), ("环卫", "sanitation"), ("拾便", "sanitation"),
    ("烟头", "sanitation"), ("旧衣物", "sanitation"), ("监测", "ecology"), ("噪声", "ecology"),
    ("水域", "water"), ("防汛", "water"), ("路名牌", "civil_affairs"), ("地名牌", "civil_affairs"),
    ("门（楼号）牌", "civil_affairs"), ("避难", "civil_affairs"), ("救助站", "civil_affairs"),
    ("文物", "culture_tourism"), ("景区", "culture_tourism"), ("公房", "housing_construction"),
    ("电梯", "market_regulation"), ("加油", "urban_management"),
]
COMPONENT_MAJOR_DEPT = {"01": "municipal", "02": "municipal", "03": "urban_management", "04": "landscaping",
                        "05": "urban_management"}
URGENT_COMPONENT = ("燃气", "输油", "高压线铁塔", "消防设施", "紧急报警")
ENGINEERING_COMPONENT = ("桥", "地下通道", "隧道", "管廊", "泵站", "停车场", "车库", "防汛墙", "水域护栏",
                         "排放口", "跨河管道", "水塔", "牌楼")
COVER = ("井盖", "箅子", "盖板")

EVENT_DEPT = [
    ("医疗废物", "ecology"), ("噪声", "ecology"), ("河道污染", "ecology"), ("油烟", "enforcement"),
    ("露天烧烤", "enforcement"), ("绿", "landscaping"), ("病虫害", "landscaping"), ("伐树", "landscaping"),
    ("公园", "landscaping"), ("堤岸", "water"), ("水域", "water"), ("河道", "water"), ("沙（河）滩", "water"),
    ("道路破损", "municipal"), ("台阶", "municipal"), ("路缘石", "municipal"), ("盲道", "municipal"),
    ("无障碍坡道", "municipal"), ("边坡", "municipal"), ("污水、废水", "municipal"), ("交通标线", "traffic_police"),
    ("垃圾", "sanitation"), ("道路不洁", "sanitation"), ("遗撒", "sanitation"), ("动物尸体", "sanitation"),
    ("废弃家具", "sanitation"), ("乱堆杂物", "sanitation"), ("废弃车辆", "public_security"),
    ("广告语言文字", "market_regulation"), ("公益性宣传品", "urban_management"), ("渣土", "enforcement"),
    ("无证掘路", "municipal"), ("无证建设", "natural_resources"), ("施工", "housing_construction"),
    ("工地", "housing_construction"), ("高空悬吊", "housing_construction"), ("预埋件", "housing_construction"),
    ("机动车乱停放", "traffic_police"), ("停车场", "traffic_police"), ("履带车", "traffic_police"),
    ("畜力车", "traffic_police"), ("消防通道", "fire"), ("非机动车", "urban_management"),
    ("共享单车", "urban_management"), ("流浪乞讨", "civil_affairs"), ("无证餐饮", "market_regulation"),
    ("农贸市场", "market_regulation"), ("屠宰", "market_regulation"), ("出版物", "culture_tourism"),
    ("积雪", "sanitation"), ("架空线缆", "telecom"),
]
EVENT_MAJOR_DEPT = {"06": "enforcement", "07": "enforcement", "08": "housing_construction", "09": "enforcement",
                    "10": "urban_management"}
EVENT_MAJOR_LIMIT = {"06": "4工作时", "07": "1工作日", "08": "2工作日", "09": "2工作时", "10": "2自然时"}
URGENT_EVENT = {"10001": "24自然时", "10002": "2自然时", "06033": "2自然时", "09012": "2自然时"}
ENGINEERING_EVENT = {"06003", "06013", "06023", "06032", "06039", "06046", "06048", "06049", "06050", "06051",
                     "06052", "08016"}

# Local examples (case_time_limits.csv) mapped onto 2026 matters: code -> (limit, class, dept kind, 立案, 结案, note)
EXAMPLES = {
    "06001": ("20工作日", "engineering", "enforcement",
              "无建筑规划许可证：未经审批私自搭建的建筑物、构筑物或其他设施（及超出规划许可内容的违法建设、逾期未拆除的临时建设）",
              "停工、依法实施行政处罚、彻底拆除",
              "example: 停工 4个工作时；处罚 7个工作日；拆除 20个工作日 — the 拆除 limit is used for 处置"),
    "06010": ("4工作时", "normal", "sanitation", "主次干道存在成堆、成片以及公共场所未倒入容器的生活垃圾", "彻底清理",
              "example: 4个工作时"),
    "06011": ("4工作时", "normal", "sanitation", "存在建筑垃圾和堆积的渣土", "彻底清理、依法查处",
              "example: 建筑垃圾 4个工作时；渣土堆 2个工作日 (渣土堆: step_overrides not used, city to split)"),
    "06012": ("2工作时", "normal", "sanitation", "每天上午8:00以后，公共场所环境脏乱", "保持路面环境整洁",
              "example (道路保洁): 2个工作时"),
    "06017": ("4工作时", "normal", "landscaping", "绿地内有垃圾杂物等", "彻底清除垃圾杂物",
              "example (绿地保洁): 4个工作时"),
    "04013": ("5工作日", "normal", "landscaping",
              "植被缺失或枯死，影响市容观瞻；绿地塌陷（包括树池、绿地围台等破损严重）",
              "清理枯死植被、补植、修复", "example (绿地养护): 5个工作日"),
}


def first(name: str, table: list[tuple[str, str]]) -> str | None:
    return next((kind for key, kind in table if key in name), None)


def component_rule(kind: str, code: str, name: str) -> dict[str, str]:
    base = name[:-2] if kind == "event" and name.endswith("异常") else name
    if code in EXAMPLES:
        limit, cls, dept, reg, close, note = EXAMPLES[code]
        return dict(handling_class=cls, department_code=D[dept], handle_limit=limit, register_condition=reg,
                    close_condition=close, value_origin=EX, source=f"{EX_SRC}; {note}")
    dept = first(base, COMPONENT_DEPT) or COMPONENT_MAJOR_DEPT[code[:2]]
    if any(k in base for k in URGENT_COMPONENT):
        cls, limit = "urgent", "2自然时"
    elif any(k in base for k in ENGINEERING_COMPONENT):
        cls, limit = "engineering", "10工作日"
    elif any(k in base for k in COVER):
        cls, limit = "normal", "4工作时"
    else:
        cls, limit = "normal", "2工作日"
    if any(k in base for k in COVER):
        reg = f"{base}破损、缺失、移位、松动或有异响，存在安全隐患"
        close = f"{base}修复、补齐或复位，平稳牢固，现场无安全隐患"
    else:
        reg = f"{base}破损、缺失、倾斜、污损或功能异常，影响使用、市容或存在安全隐患"
        close = f"{base}修复、更换或清洁，恢复正常使用，现场无安全隐患"
    return dict(handling_class=cls, department_code=D[dept], handle_limit=limit, register_condition=reg,
                close_condition=close, value_origin="DEFAULT", source="default chosen by keyword; review")


def event_rule(code: str, name: str) -> dict[str, str]:
    if code in EXAMPLES:
        limit, cls, dept, reg, close, note = EXAMPLES[code]
        return dict(handling_class=cls, department_code=D[dept], handle_limit=limit, register_condition=reg,
                    close_condition=close, value_origin=EX, source=f"{EX_SRC}; {note}")
    dept = first(name, EVENT_DEPT) or EVENT_MAJOR_DEPT[code[:2]]
    if code in URGENT_EVENT:
        cls, limit = "urgent", URGENT_EVENT[code]
    elif code in ENGINEERING_EVENT:
        cls, limit = "engineering", "10工作日"
    else:
        cls, limit = "normal", EVENT_MAJOR_LIMIT[code[:2]]
    reg = f"责任区域内发现{name}，影响市容环境、公共秩序或公共安全，经监督员核实"
    close = f"{name}问题已消除（清理、整改、修复或依法查处），现场恢复整洁有序，经监督员核查"
    return dict(handling_class=cls, department_code=D[dept], handle_limit=limit, register_condition=reg,
                close_condition=close, value_origin="DEFAULT", source="default chosen by keyword; review")


def main(city_dir: Path) -> None:
    cat = load_catalogue("gbt47678.5-2026")
    rows = []
    for s in cat.subclasses:
        if s.kind == "component" or int(s.major_code) <= 5:
            rule = component_rule(s.kind, s.code, s.name)
        else:
            rule = event_rule(s.code, s.name)
        rows.append({"kind": s.kind, "subclass_code": s.code, "subclass_name": s.name, **rule, "step_overrides": ""})
    cols = ["kind", "subclass_code", "subclass_name", "handling_class", "department_code", "handle_limit",
            "step_overrides", "register_condition", "close_condition", "value_origin", "source"]
    with (city_dir / "handbook.csv").open("w", encoding="utf-8", newline="") as fh:
        fh.write("# 朔州市 指挥手册 rules, one per subclass of GB/T 47678.5-2026 (153 部件 + 250 管理事项).\n"
                 "# value_origin EXAMPLE = limits/conditions taken from the local examples in\n"
                 "# /work/shared/standards/case_time_limits.csv; DEFAULT = plausible defaults\n"
                 "# to be reviewed by the city.\n"
                 "# handle_limit: number + unit (工作分钟 工作时 工作日 自然分钟 自然时 自然日);\n"
                 "# urgent = natural time. step_overrides: optional 'step=limit;step=limit' for\n"
                 "# accept 受理 / verify 核实 / register 立案 / dispatch 派遣 / check 核查 / close 结案.\n")
        w = csv.DictWriter(fh, cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(len(rows), "rules")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
