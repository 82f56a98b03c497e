"""A realistic demo on a fresh embedded SQLite store.

Taiyuan's agency admits a provincial hospital (incomplete materials, the
one-time notice, evaluation pass), a rehab hospital (fails, waits three
months, passes the re-evaluation, joins the rehab pilot), a hearing-aid
fitter whose re-evaluation fails too (barred for a year), a level-3 general
hospital exempted under M 16, and refuses a hospital barred under M 11.

It ends with the demo's accounts, one per role (made as the operator's
``ledger user add`` makes them: account commands on a direct store
connection), and the one command that serves the store with its console.

Run: bash scripts/demo.sh   (or: .venv/bin/python scripts/demo.py [--db URL])
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from adapters.commands import execute  # noqa: E402
from adapters.describe import describe  # noqa: E402
from adapters.http.service import open_service_ledger  # noqa: E402
from domain.errors import LedgerError  # noqa: E402
from adapters.readmodels import (bars_as_of, catch_up, deadlines_as_of,  # noqa: E402
                                 ended_as_of, log_position, positions_as_of, status_as_of,
                                 view_for)
from projections.fund import MONEY_COLUMNS, as_dict, totals  # noqa: E402
from projections.status import build  # noqa: E402

OFFICER = {"user": "zhang.min", "role": "case_officer"}
EVALUATOR = {"user": "liu.qiang", "role": "evaluator"}
ALL = ["application_letter", "licences", "management_rules", "information_system",
       "fund_use_forecast"]


class Demo:
    def __init__(self, ledger):
        self.ledger = ledger
        self.n = 0

    @staticmethod
    def quietly(d: "Demo"):
        """Apply commands without printing each one (for long monthly runs)."""
        def run(command, on, actor=OFFICER, **fields):
            d.n += 1
            raw = {"id": f"demo-{d.n:04d}", "command": command, "date": on, "actor": actor,
                   "fields": fields}
            return execute(d.ledger, json.loads(json.dumps(raw, default=str)))
        return run

    def say(self, text: str) -> None:
        print(f"\n== {text}")

    def do(self, command: str, on: str, actor=OFFICER, document: str = "", expect_refusal=False,
           **fields):
        self.n += 1
        raw = {"id": f"demo-{self.n:04d}", "command": command, "date": on, "actor": actor,
               "document": document, "fields": fields}
        try:
            result = execute(self.ledger, json.loads(json.dumps(raw, default=str)))
        except LedgerError as e:
            if not expect_refusal:
                raise
            print(f"  {on}  REFUSED {e}".replace("\n", "\n              "))
            return None
        print(f"  {on}  {describe(result)}")
        return result


def facts(**kw):
    base = {"category": "general", "level": 3, "licence_no": "PDY-000", "ownership": "public",
            "beds": 1000, "legal_person": True, "business_started_on": "2012-03-01",
            "staff": {"doctors": 300, "senior_doctors": 90, "nurses": 450, "therapists": 25},
            "volumes": {"outpatients": 350000, "inpatients": 28000, "surgeries": 8000,
                        "average_outpatient_cost": "245.80",
                        "average_inpatient_cost": "11860.00"},
            "departments_with_beds": ["骨科", "烧伤整形科", "手外科"],
            "large_equipment": ["CT", "MRI", "DSA"]}
    base.update(kw)
    return base


def panel(prefix: str, n: int = 7, conflict: str | None = None):
    members = [{"member_id": f"{prefix}{i:02d}", "name": f"专家{prefix}{i}", "role": "expert"}
               for i in range(1, n + 1)]
    if conflict:
        members.append({"member_id": f"{prefix}99", "name": "回避专家", "role": "expert",
                        "conflict": conflict})
    return members


def scored_by(prefix: str, n: int = 7):
    return [f"{prefix}{i:02d}" for i in range(1, n + 1)]


def run(d: Demo) -> None:
    d.say("Institutions register with their F1 facts and the people behind them")
    d.do("register_institution", "2025-01-06", code="TY-H001", name="太原市第三人民医院",
         kind="medical", agency="TY", facts=facts(licence_no="PDY40001-14"),
         people=[{"person_id": "140101197001010011", "name": "王建国",
                  "role": "legal_representative"}])
    d.do("register_institution", "2025-01-06", code="TY-R001", name="山西康复医院",
         kind="rehab", agency="TY", facts=facts(category="rehab", level=2, beds=260,
                                                licence_no="PDY40002-14"),
         people=[{"person_id": "140101197505050022", "name": "李秀英",
                  "role": "legal_representative"},
                 {"person_id": "91140100MA0002", "name": "山西康复产业集团",
                  "role": "investor"}])
    d.do("register_institution", "2025-01-06", code="TY-A001", name="太原聆声助听器验配中心",
         kind="assistive", subtype="hearing_aid", agency="TY",
         facts=facts(category="assistive_fitter", level=0, beds=0, licence_no="JY-2019-88",
                     business_started_on="2019-06-01"),
         people=[{"person_id": "140101198203030033", "name": "赵磊",
                  "role": "legal_representative"}])
    d.do("register_institution", "2025-01-06", code="TY-H002", name="山西大医院",
         kind="medical", agency="TY", facts=facts(level=3, licence_no="PDY40003-14"),
         people=[{"person_id": "140101196809090044", "name": "陈志刚",
                  "role": "legal_representative"}])
    d.do("register_institution", "2025-01-06", code="TY-H003", name="晋源骨科医院",
         kind="medical", agency="TY", facts=facts(level=2, category="specialty",
                                                  licence_no="PDY40004-14"),
         people=[{"person_id": "140101197707070055", "name": "孙强",
                  "role": "legal_representative"},
                 {"person_id": "91140100MA0001", "name": "晋康医疗投资有限公司",
                  "role": "investor"}])
    d.do("register_institution", "2025-01-06", code="DT-H009", name="大同晋康医院",
         kind="medical", agency="DT", facts=facts(level=2, licence_no="PDY50009-14"),
         people=[{"person_id": "91140100MA0001", "name": "晋康医疗投资有限公司",
                  "role": "investor"}])

    d.say("A hospital applies with incomplete materials: one notice lists every missing item")
    d.do("submit_application", "2025-01-24", number="SQ-2025-001", institution="TY-H001",
         materials=["application_letter", "licences"])
    d.do("send_materials_notice", "2025-02-06", document="并工伤补〔2025〕1号",
         application="SQ-2025-001", notice_no="并工伤补〔2025〕1号",
         missing=["management_rules", "information_system", "fund_use_forecast"],
         supply_by="2025-02-21")
    print("  (Spring Festival 2025: Jan 28-Feb 4 off and Sunday Jan 26 worked, so the fifth "
          "working day after Jan 24 is Feb 7.)")
    d.do("send_materials_notice", "2025-02-07", expect_refusal=True,
         application="SQ-2025-001", notice_no="并工伤补〔2025〕2号",
         missing=["management_rules", "information_system", "fund_use_forecast"],
         supply_by="2025-02-28")
    d.do("supply_materials", "2025-02-18", application="SQ-2025-001",
         items=["management_rules", "information_system", "fund_use_forecast"])
    d.do("accept_application", "2025-02-19", application="SQ-2025-001")
    d.do("form_panel", "2025-03-10", actor=EVALUATOR, evaluation="PG-2025-001",
         application="SQ-2025-001", members=panel("E", 7, conflict="曾任该院副院长"))
    d.do("record_scores", "2025-03-12", actor=EVALUATOR, evaluation="PG-2025-001",
         scored_by=scored_by("E"), deductions={
             "6": [["3", "烧伤科医护比低于1:0.4"]],
             "8": [["2", "高值耗材未实行追溯管理"]]})
    d.do("conclude_evaluation", "2025-03-14", actor=EVALUATOR, document="评估报告〔2025〕1号",
         evaluation="PG-2025-001", report_no="评估报告〔2025〕1号", validity_years=2)

    d.say("A rehab hospital fails, rectifies for three months, and passes the re-evaluation")
    d.do("submit_application", "2025-02-10", number="SQ-2025-002", institution="TY-R001",
         materials=ALL)
    d.do("accept_application", "2025-02-11", application="SQ-2025-002")
    d.do("form_panel", "2025-03-03", actor=EVALUATOR, evaluation="PG-2025-002",
         application="SQ-2025-002", members=panel("K", 9))
    d.do("record_scores", "2025-03-05", actor=EVALUATOR, evaluation="PG-2025-002",
         scored_by=scored_by("K", 9), deductions={
             "7.2": [["6", "康复病房仅44张床位"]], "6.1": [["3", "缺高级职称康复医师3人"]],
             "8.3": [["4", "烧伤康复区设备不全"]]})
    d.do("conclude_evaluation", "2025-03-07", actor=EVALUATOR, evaluation="PG-2025-002",
         report_no="评估报告〔2025〕2号", served_on="2025-03-10",
         reasons=["总分87分，低于90分"], advice="增加康复床位至50张以上，补齐烧伤康复设备")
    d.do("form_panel", "2025-06-01", actor=EVALUATOR, expect_refusal=True,
         evaluation="PG-2025-002B", application="SQ-2025-002", members=panel("K", 9))
    d.do("form_panel", "2025-06-11", actor=EVALUATOR, evaluation="PG-2025-002B",
         application="SQ-2025-002", members=panel("K", 9))
    d.do("record_scores", "2025-06-12", actor=EVALUATOR, evaluation="PG-2025-002B",
         scored_by=scored_by("K", 9), deductions={"6.1": [["2", "缺高级职称康复医师2人"]]})
    d.do("conclude_evaluation", "2025-06-13", actor=EVALUATOR, evaluation="PG-2025-002B",
         report_no="评估报告〔2025〕7号", validity_years=1)
    d.do("select_rehab_pilot", "2025-06-20", agency="TY", institution="TY-R001")

    d.say("A hearing-aid fitter fails twice: no new application for a year")
    d.do("submit_application", "2025-02-12", number="SQ-2025-003", institution="TY-A001",
         materials=ALL)
    d.do("accept_application", "2025-02-13", application="SQ-2025-003")
    d.do("form_panel", "2025-03-20", actor=EVALUATOR, evaluation="PG-2025-003",
         application="SQ-2025-003", members=panel("H"))
    d.do("record_scores", "2025-03-21", actor=EVALUATOR, evaluation="PG-2025-003",
         scored_by=scored_by("H"), veto_failed=["V4"],
         awarded={"6.1": "10"}, deductions={"7.2": [["6", "测听室噪声超过25dB(A)"]]})
    d.do("conclude_evaluation", "2025-03-21", actor=EVALUATOR, evaluation="PG-2025-003",
         report_no="评估报告〔2025〕3号", reasons=["信息系统未与工伤保险系统对接（单项否决）"],
         advice="完成信息系统对接后申请再次评估")
    d.do("form_panel", "2025-06-23", actor=EVALUATOR, evaluation="PG-2025-003B",
         application="SQ-2025-003", members=panel("H"))
    d.do("record_scores", "2025-06-24", actor=EVALUATOR, evaluation="PG-2025-003B",
         scored_by=scored_by("H"), awarded={"6.1": "10"},
         deductions={"7.2": [["6", "测听室仍未隔声"]], "8.2": [["4", "缺真耳分析仪"]]})
    d.do("conclude_evaluation", "2025-06-24", actor=EVALUATOR, evaluation="PG-2025-003B",
         report_no="评估报告〔2025〕8号", reasons=["总分80分，低于90分"],
         advice="一年后重新申请")
    d.do("submit_application", "2025-09-01", expect_refusal=True, number="SQ-2025-009",
         institution="TY-A001", materials=ALL)

    d.say("A level-3 general hospital with basic medical insurance designation is exempted (M 16)")
    d.do("submit_application", "2025-03-03", number="SQ-2025-004", institution="TY-H002",
         materials=ALL)
    d.do("exempt_from_evaluation", "2025-03-05", application="SQ-2025-004",
         basic_medical_designation="晋医保定点〔2019〕0088", fits_planning=True)

    d.say("A hospital barred under M 11 is refused, every ground named with the day it lifts")
    d.do("record_bar_fact", "2024-11-20", institution="DT-H009", ground="M11-5",
         occurred_on="2024-11-20", note="大同市经办机构以虚构诊疗项目为由解除服务协议")
    d.do("record_bar_fact", "2025-03-01", institution="TY-H003", ground="M11-7",
         occurred_on="2025-03-01", note="欠缴社会保险费三个月")
    d.do("submit_application", "2025-04-01", expect_refusal=True, number="SQ-2025-005",
         institution="TY-H003", materials=ALL)


def lifecycle(d: Demo) -> None:
    d.say("Agreements are signed, filed, publicly noticed, and take effect when the notice ends")
    for number, code, on, start in (("XY-TY-2025-001", "TY-H001", "2025-03-20", "2025-04-01"),
                                    ("XY-TY-2025-004", "TY-H002", "2025-03-20", "2025-04-01"),
                                    ("XY-TY-2025-002", "TY-R001", "2025-06-25", "2025-07-01")):
        d.do("sign_agreement", on, number=number, institution=code, term_start=start)
        d.do("file_agreement", on, agreement=number, filing_ref=f"并人社备〔2025〕{number[-3:]}号")
        d.do("start_public_notice", on, agreement=number, notice_ref=f"公示〔2025〕{number[-3:]}号",
             until=str(date.fromisoformat(on) + timedelta(days=7)))
    d.do("tick", "2025-07-10", to="2025-07-10")

    d.say("A hospital asks for a voluntary suspension and never applies to resume (SUS-02)")
    d.do("suspend_agreement", "2025-05-01", agreement="XY-TY-2025-004", kind="voluntary",
         start="2025-05-01", requested_on="2025-04-25", notice_no="中止〔2025〕3号")

    d.say("Another is suspended twice by the agency: the obligation to end it arises (TER-02)")
    d.do("suspend_agreement", "2025-06-02", agreement="XY-TY-2025-001", kind="mandatory",
         ground="M38-2", notice_no="中止〔2025〕5号")
    d.do("resume_agreement", "2025-07-01", agreement="XY-TY-2025-001")
    d.do("record_breach_finding", "2025-08-01", agreement="XY-TY-2025-001", clause="MA43-1",
         found_on="2025-07-28", facts="将非工伤费用纳入工伤保险基金结算",
         sanctions=["refuse_payment", "suspend"])
    d.do("suspend_agreement", "2025-08-01", agreement="XY-TY-2025-001", kind="disciplinary",
         ground="MA43-1", months=3, notice_no="暂停〔2025〕8号")
    d.do("terminate_agreement", "2025-08-20", agreement="XY-TY-2025-001", ground="M39-1",
         notice_no="解除〔2025〕2号", notice_on="2025-08-20", reported_on="2025-08-21",
         report_ref="并人社报〔2025〕31号", reason="协议期内两次被中止服务协议")
    d.do("propose_practitioner_bar", "2025-08-22", bar_no="停〔2025〕1号",
         person_id="140101198811110066", name="周某", institution="TY-H001", years=2,
         finding="伪造工伤住院病历")
    d.do("approve_practitioner_bar", "2025-09-05", bar_no="停〔2025〕1号",
         person_id="140101198811110066", approval_ref="并人社函〔2025〕77号")

    d.say("Time passes: the clock records what falls due, on the day it falls due")
    d.do("tick", "2025-12-31", to="2025-12-31")


FINANCE = {"user": "li.juan", "role": "finance"}


def money(d: Demo) -> None:
    d.say("Jinzhong: a hospital admitted in 2024 settles a year of monthly claims in 2025")
    d.do("register_institution", "2024-09-02", code="JZ-H001", name="晋中市第一人民医院",
         kind="medical", agency="JZ", facts=facts(licence_no="PDY60001-14", beds=900),
         people=[{"person_id": "140701197202020077", "name": "郭平",
                  "role": "legal_representative"}])
    d.do("submit_application", "2024-09-02", number="SQ-2024-JZ-01", institution="JZ-H001",
         materials=ALL)
    d.do("accept_application", "2024-09-03", application="SQ-2024-JZ-01")
    d.do("form_panel", "2024-10-15", actor=EVALUATOR, evaluation="PG-2024-JZ-01",
         application="SQ-2024-JZ-01", members=panel("J"))
    d.do("record_scores", "2024-10-16", actor=EVALUATOR, evaluation="PG-2024-JZ-01",
         scored_by=scored_by("J"), deductions={"10": [["2", "每日清单未签字确认"]]})
    d.do("conclude_evaluation", "2024-10-18", actor=EVALUATOR, evaluation="PG-2024-JZ-01",
         report_no="晋中评估〔2024〕5号", validity_years=1)
    d.do("sign_agreement", "2024-12-10", number="XY-JZ-2025-001", institution="JZ-H001",
         term_start="2025-01-01")
    d.do("file_agreement", "2024-12-10", agreement="XY-JZ-2025-001", filing_ref="晋中人社备〔2024〕9号")
    d.do("start_public_notice", "2024-12-11", agreement="XY-JZ-2025-001",
         notice_ref="晋中公示〔2024〕9号", until="2024-12-18")
    d.do("tick", "2024-12-31", to="2024-12-31")
    print("  Each month: the claim by the 5th, a 20% sample, approval, 90% paid by the 25th.")
    quiet = Demo.quietly(d)
    for m in range(1, 13):
        month = f"2025-{m:02d}"
        nxt = date(2025 + (m == 12), m % 12 + 1, 1)
        items = [{"item_id": f"{month}-{k:02d}", "amount": f"{18000 + 1500 * k + 37 * m}.{k:02d}",
                  "service_date": f"{month}-{(3 * k) % 27 + 1:02d}", "injury": k != 9,
                  "description": "工伤住院" if k != 9 else "非工伤门诊"} for k in range(10)]
        quiet("submit_claim", str(nxt.replace(day=3)), agreement="XY-JZ-2025-001",
              month=month, items=items)
        sample = quiet("draw_sample", str(nxt.replace(day=8)), actor=FINANCE,
                       agreement="XY-JZ-2025-001", month=month, seed=f"JZ-{month}")
        for n, item_id in enumerate(sample["sampled"]):
            bad = "1200.00" if month == "2025-06" and n == 0 else "0"
            quiet("review_sampled_item", str(nxt.replace(day=9)), actor=FINANCE,
                  agreement="XY-JZ-2025-001", month=month, item_id=item_id, noncompliant=bad,
                  reason="超标准收取床位费" if bad != "0" else "")
        quiet("approve_claim", str(nxt.replace(day=12)), actor=FINANCE,
              agreement="XY-JZ-2025-001", month=month)
        pay_day = nxt.replace(day=28) if month == "2025-09" else nxt.replace(day=24)
        paid = quiet("pay_claim", str(pay_day), actor=FINANCE, agreement="XY-JZ-2025-001",
                     month=month, batch=1, ref=f"社银直发-{month}")
        flag = "  LATE (after the 25th)" if paid["late"] else ""
        extra = f"  sample {', '.join(sample['sampled'])}"
        if month == "2025-06":
            extra += " — 1,200.00 non-compliant: deducted 5x = 6,000.00 (PAY-03)"
        print(f"  {month}: approved {paid['approved']:>10}  paid {paid['paid']:>10}  "
              f"withheld {paid['withheld']:>9}  on {pay_day}{flag}{extra}")

    d.say("The 2025 assessment scores 85: the deposit returns 90%, the rest goes to the fund")
    d.do("record_assessment", "2026-01-20", agreement="XY-JZ-2025-001", year=2025,
         deductions={"5.5": [["10", "抽查发现过度检查"]], "3.4": [["5", "未核验工伤职工身份"]]},
         employer_views=["晋中钢铁：服务及时"], supervisor_views=["社会监督员：无投诉"],
         satisfaction="工伤职工满意度 91%")
    d.do("clear_deposit", "2026-02-10", actor=FINANCE, agreement="XY-JZ-2025-001", year=2025)


# The demo's closing tables are the CLI's answers, asked of the same SQL read
# models with the same queries (issue #12): a fold of its own once showed, "on
# 2025-12-31", everything recorded up to 2026-02 (tests/test_demo.py compares).
STATUS_ON = date(2025, 12, 31)      # ledger status --on 2025-12-31
DEADLINES_ON = date(2025, 12, 31)   # ledger deadlines --on 2025-12-31
POSITIONS_AS_OF = date(2026, 2, 10)  # ledger positions --as-of 2026-02-10: the deposit cleared


def status_line(r) -> str:
    """One agreement's status, and the day it has been so since."""
    return f"  {r['valid_from']}  {r['agreement']}  {r['institution']:8} {r['status']:12} " \
           f"{r['why']}"


def ended_line(r, name: str) -> str:
    kind = "breach" if r["breach"] else "not a breach"
    return f"  {r['ended_on']}  {r['agreement']}  {name}  {r['ground']} " \
           f"({r['article']}, {kind}): {r['reason']}"


def bar_line(r) -> str:
    return f"  {r['person']}  {r['bar_no']}  {r['institution']}  {r['years']} years  " \
           f"{r['status']} {r['approved_on']} to {r['until']}: {r['finding']}"


def deadline_line(r) -> str:
    flag = (" OVERDUE" if r["overdue"] else "") + (" provisional" if r["provisional"] else "")
    return f"  {r['due']}  [{r['rule']}] {r['subject']}: {r['what']}{flag}"


def position_line(label: str, d) -> str:
    return "  " + f"{label:22}" + "".join(f"{d[c]:>13}" for c in MONEY_COLUMNS)


def report(ledger, url: str) -> None:
    state = build(e for _, e in ledger.read_log())
    print("\n== Where each application stands (everything recorded)")
    for a in state.applications.values():
        evs = [state.evaluations[n].result for n in a.evaluations]
        last = evs[-1] if evs and evs[-1] else None
        tail = f"last result {'pass' if last['passed'] else 'fail'} {last['total']}" \
            if last else ""
        print(f"  {a.number}  {a.institution_code:8} {a.status:10} {tail}")
    catch_up(ledger)
    view = view_for(ledger)
    known = log_position(view, None)   # everything recorded, as the CLI without --known-at
    print(f"\n== Agreements on {STATUS_ON} (ledger status --on {STATUS_ON})")
    for row in status_as_of(view, STATUS_ON, known):
        print(status_line(row))
    print("\n== Public list of ended agreements (M 39; ledger ended)")
    names = {c: i.name for c, i in state.institutions.items()}
    for row in ended_as_of(view, None, known):
        print(ended_line(row, names.get(row["institution"], "")))
    print("\n== Practitioner bars (ledger bars)")
    for row in bars_as_of(view, None, known):
        print(bar_line(row))
    print(f"\n== Fund positions on {POSITIONS_AS_OF} (yuan; ledger positions --as-of "
          f"{POSITIONS_AS_OF}; AUD-06 identities checked per row)")
    rows = positions_as_of(view, POSITIONS_AS_OF, known)
    per_agency, fund = totals(rows)
    print("  " + f"{'':22}" + "".join(f"{c:>13}" for c in MONEY_COLUMNS))
    for label, p in [(f"{p.agreement} {p.year}", p) for p in rows] + \
            [(f"agency {a}", p) for a, p in per_agency.items()] + [("fund", fund)]:
        print(position_line(label, as_dict(p)))
        broken = p.identities()
        if broken:
            print(f"  !! AUD-06 broken for {label}: {broken}")
    print(f"\n== Open deadlines on {DEADLINES_ON} (ledger deadlines --on {DEADLINES_ON})")
    for row in deadlines_as_of(view, DEADLINES_ON, known):
        print(deadline_line(row))
    print(f"\n{state.events_applied} events in the log. Try:\n"
          f"  .venv/bin/ledger institution TY-R001 --db {url}\n"
          f"  .venv/bin/ledger status --on {STATUS_ON} --db {url}\n"
          f"  .venv/bin/ledger deadlines --on {DEADLINES_ON} --db {url}\n"
          f"  .venv/bin/ledger positions --as-of {POSITIONS_AS_OF} --db {url}\n"
          f"  .venv/bin/ledger status --on 2025-09-01 --db {url}\n"
          f"  .venv/bin/ledger ended --db {url}")


# One account per role, for signing in to the console. The demo's store is a
# demonstration: its password is printed, never a real one.
DEMO_PASSWORD = "demo-password-2025"
ACCOUNTS = (   # user, agency, role, what they see
    ("sx.admin", "SX", "administrator", "the province: accounts and every command"),
    ("ty.officer", "TY", "case_officer", "Taiyuan's institutions and agreements"),
    ("ty.evaluator", "TY", "evaluator", "Taiyuan's panels and score sheets"),
    ("sx.finance", "SX", "finance", "the fund's account: positions, reconciliation"),
    ("jz.finance", "JZ", "finance", "Jinzhong's claims (refused on another agency's)"),
    ("ty.auditor", "TY", "auditor", "reads Taiyuan, gives no command"),
    ("sx.investigator", "SX", "investigator", "the province: people and sister institutions"),
)


def accounts(ledger) -> None:
    """The demo's users, given as `ledger user add` gives them (adapters/cli_service.py)."""
    from adapters.cli_service import direct_store_actor
    from adapters.http.credentials import hash_password
    from domain.base import Context
    from domain.calendar import today_in_china
    for n, (user, agency, role, _) in enumerate(ACCOUNTS, 1):
        if ledger.account(user) is not None:
            continue
        ctx = Context(f"demo-user-{n:02d}", today_in_china(), direct_store_actor(),
                      "administrator", "演示账户")
        ledger.add_user(ctx, user=user, name=user, agency=agency, roles=[role],
                        password_hash=hash_password(DEMO_PASSWORD, command_id=ctx.command_id,
                                                    user=user))


def serve_line(url: str, schema: str | None) -> str:
    """The one command that serves this store with its console."""
    return f".venv/bin/ledger serve --db {url}" + (f" --schema {schema}" if schema else "")


def print_console(url: str, schema: str | None) -> None:
    print("\n== The console (sign in at http://127.0.0.1:8000/console/)")
    print(f"  {serve_line(url, schema)}")
    print(f"  accounts (password {DEMO_PASSWORD}):")
    for user, agency, role, what in ACCOUNTS:
        print(f"    {user:16} {agency}  {role:14} {what}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=f"sqlite:///{ROOT / 'out' / 'demo.sqlite'}")
    parser.add_argument("--schema", default=None, help="PostgreSQL schema (an empty one)")
    args = parser.parse_args()
    if args.db.startswith("sqlite:///"):
        Path(args.db[len("sqlite:///"):]).unlink(missing_ok=True)  # a fresh store every run
    ledger = open_service_ledger(args.db, args.schema)
    try:
        demo = Demo(ledger)
        run(demo)
        lifecycle(demo)
        money(demo)
        report(ledger, args.db)
        accounts(ledger)
    finally:
        ledger.close()
    print_console(args.db, args.schema)
