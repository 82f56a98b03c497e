"""Benchmark data: a province's agreement ledger, generated in memory.

``generate(seed, institutions=1000, years=10, start_year=2016)`` simulates the
12 Shanxi agencies and their institutions and yields the domain events month
by month (a list per calendar month). Nothing touches a database: every event
comes from the ledger's own command handlers (``domain/service.py``, called
through ``__wrapped__`` so the idempotency wrapper and its store look-ups are
skipped) running against aggregates kept in a dict, so the same rules run and
the same aggregates are touched, in the same order, as the real commands.
Time passing is the daily ``tick`` (docs/operations.md), emulated on exactly
the days something falls due: a take-effect, an M 51 continuation, the
day-181 ending of a voluntary suspension, a renewal replacing its
predecessor, a change report overdue.

Only ``random.Random(seed)`` decides anything, so a seed gives the same
events every time (the aggregates stamp ``timestamp`` from the wall clock).

The province: institutions of every kind and subtype (mostly medical, rehab
within the 2-per-agency pilot, the four assistive subtypes) with their legal
representatives and investors (some shared, so sister institutions exist);
applications (some with the one-time materials notice), exemptions and
evaluations (some failing, then re-evaluated, a few failing twice); yearly
agreements, renewed with ``renewal_of`` (a few late under M 51, a few for two
years after three excellent assessments), filed, publicly noticed, taking
effect; monthly claims of 8-25 items with non-injury items, the 20% sample
reviewed (a few non-compliant amounts), queries and holds now and then,
approval and payment on the 20th-26th (some late) withholding the 10%
deposit; the yearly F6 assessment and the deposit clearing in the next
year's first quarter; changes, breach findings, suspensions (voluntary -
some never resumed -, mandatory, disciplinary), terminations, early
endings, recoveries and practitioner bars.

``load(ledger, batches, batch_events=20000)`` writes them with
``ledger.events.put`` in chunks.

    .venv/bin/python scripts/generate_province.py --db sqlite:////tmp/province.sqlite
    .venv/bin/python scripts/generate_province.py \\
        --db postgresql+psycopg2://postgres@127.0.0.1:5432/test --schema bench_x
"""
from __future__ import annotations

import argparse
import heapq
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any, Iterable, Iterator
from uuid import UUID

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eventsourcing.application import AggregateNotFoundError  # noqa: E402
from eventsourcing.domain import DomainEvent  # noqa: E402

from domain.agency import AGENCIES, REHAB_PILOT_MAX, Agency  # noqa: E402
from domain.agreement import Agreement  # noqa: E402
from domain.application import MATERIALS  # noqa: E402
from domain.application import Application as AdmissionApplication  # noqa: E402
from domain.base import Context, Envelope  # noqa: E402
from domain.calendar import WorkingCalendar, add_months  # noqa: E402
from domain.claim import Claim  # noqa: E402
from domain.command_record import CommandRecord  # noqa: E402
from domain.evaluation import Evaluation  # noqa: E402
from domain.forms import SURVEY_ALLOWED, f2_form_for, f6_form_for  # noqa: E402
from domain.grounds import (BREACH_CLAUSES, MANDATORY_SUSPENSION_GROUNDS,  # noqa: E402
                            TERMINATION_GROUNDS)
from domain.institution import ASSISTIVE_SUBTYPES, Institution  # noqa: E402
from domain.person import Person  # noqa: E402
from domain.registry import Registry  # noqa: E402
from domain.roles import check_role  # noqa: E402
from domain.service import Ledger  # noqa: E402

__all__ = ["generate", "load"]

ONE_DAY = timedelta(days=1)

# --- how busy the province is (tuned so the defaults give about 1,000,000 events) ----
ITEMS_PER_CLAIM = (8, 25, 25)  # items on a full month's claim: low, high, mode
NON_INJURY = 0.07              # share of items that are not work-injury costs (PAY-09)
WITH_PRACTITIONER = 0.3        # share of items naming the treating practitioner (SAN-02)
NONCOMPLIANT = 0.04            # share of sampled items with a non-compliant amount (PAY-03)
QUERY = 0.04                   # claims with a queried item (PAY-04)
HOLD = 0.006                   # claims with an item held (PAY-05, PAY-07)
LATE_PAYMENT = 0.06            # payments after the 25th (PAY-06)
FIRST_YEAR_SHARE = 0.92        # institutions registering in the first year
PER_YEAR = {                   # incidents per agreement-year
    "change": 0.05, "breach": 0.03, "mandatory": 0.012, "disciplinary": 0.008,
    "voluntary": 0.012, "bar": 0.015, "bar_fact": 0.005, "recovery": 0.01,
    "terminate": 0.005, "early_end": 0.0025,
}
VOLUNTARY_NEVER_RESUMED = 0.25
REFUSED_RENEWAL = 0.004

# --- the province --------------------------------------------------------------
AGENCY_WEIGHTS = {"SX": 3, "TY": 20, "DT": 9, "YQ": 5, "CZ": 9, "JC": 7, "SZ": 5, "JZ": 8,
                  "YC": 10, "XZ": 7, "LF": 10, "LL": 7}
SHORT = {"SX": "晋", "TY": "并", "DT": "同", "YQ": "阳", "CZ": "潞", "JC": "泽", "SZ": "朔",
         "JZ": "榆", "YC": "运", "XZ": "忻", "LF": "临", "LL": "吕"}
CITY = {"SX": "山西省", "TY": "太原", "DT": "大同", "YQ": "阳泉", "CZ": "长治", "JC": "晋城",
        "SZ": "朔州", "JZ": "晋中", "YC": "运城", "XZ": "忻州", "LF": "临汾", "LL": "吕梁"}
REGION = {"SX": "1401", "TY": "1401", "DT": "1402", "YQ": "1403", "CZ": "1404", "JC": "1405",
          "SZ": "1406", "JZ": "1407", "YC": "1408", "XZ": "1409", "LF": "1410", "LL": "1411"}
COUNTIES = {
    "SX": ["太原", "晋中", "长治"],
    "TY": ["小店", "迎泽", "杏花岭", "尖草坪", "万柏林", "晋源", "清徐", "阳曲", "娄烦", "古交"],
    "DT": ["平城", "云冈", "新荣", "云州", "阳高", "天镇", "广灵", "灵丘", "浑源", "左云"],
    "YQ": ["城区", "矿区", "郊区", "平定", "盂县"],
    "CZ": ["潞州", "上党", "屯留", "潞城", "襄垣", "平顺", "黎城", "壶关", "长子", "武乡", "沁县",
           "沁源"],
    "JC": ["城区", "沁水", "阳城", "陵川", "泽州", "高平"],
    "SZ": ["朔城", "平鲁", "山阴", "应县", "右玉", "怀仁"],
    "JZ": ["榆次", "太谷", "榆社", "左权", "和顺", "昔阳", "寿阳", "祁县", "平遥", "灵石", "介休"],
    "YC": ["盐湖", "临猗", "万荣", "闻喜", "稷山", "新绛", "绛县", "垣曲", "夏县", "平陆", "芮城",
           "永济", "河津"],
    "XZ": ["忻府", "定襄", "五台", "代县", "繁峙", "宁武", "静乐", "神池", "五寨", "岢岚", "河曲",
           "保德", "偏关", "原平"],
    "LF": ["尧都", "曲沃", "翼城", "襄汾", "洪洞", "古县", "安泽", "浮山", "吉县", "乡宁", "隰县",
           "蒲县", "汾西", "侯马", "霍州"],
    "LL": ["离石", "文水", "交城", "兴县", "临县", "柳林", "石楼", "岚县", "方山", "中阳", "交口",
           "孝义", "汾阳"],
}
BRANDS = ["康宁", "仁和", "博爱", "华康", "同济", "济民", "安康", "和平", "长城", "新华", "益民",
          "德仁", "福康", "瑞康", "惠民", "健民", "广济", "明德", "慈济", "恒康", "晋康", "汾河",
          "太行", "吕梁山", "五台山", "黄河", "晋阳", "龙城", "鼎盛", "协和"]
SPECIALTIES = ["骨科医院", "烧伤医院", "手足外科医院", "眼科医院", "创伤骨科医院", "中西医结合医院",
               "口腔医院", "脑科医院"]
SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢"
            "蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯"
            "邵孟龙段雷钱汤尹常武乔贺赖文")
GIVEN = ("建国伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欣晨阳海峰亮红梅丽娟"
         "敏静燕艳芳娜秀英霞玲桂兰萍婷雪慧颖琳晶倩璐瑶")
STAFF = ["wang.li", "zhang.min", "li.juan", "liu.qiang", "chen.jing", "yang.fan", "zhao.lei",
         "huang.yan", "zhou.jie", "wu.hong", "sun.hui", "ma.lin", "guo.ping", "he.yun",
         "gao.feng", "lin.na", "luo.bin", "song.tao", "zheng.hua", "xie.ying", "han.mei",
         "feng.chao", "dong.wei", "cao.li", "yuan.jie", "deng.hao", "xu.qing", "fu.lan"]
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

F2_REASONS = ["人员配置不足", "管理制度不健全", "设备配置不全", "信息系统未与经办机构对接",
              "台账记录不完整", "病历书写不规范", "场地面积不足", "收费公示不到位",
              "高值耗材未实行追溯管理", "质量控制记录缺失"]
F6_REASONS = ["未及时上传结算数据", "抽查发现过度检查", "未核验工伤职工身份", "病历资料不完整",
              "投诉处理不及时", "次均费用增幅超过控制指标", "工伤职工告知不到位", "档案管理不规范",
              "未按规定报送统计报表", "转诊转院手续不全"]
NONCOMPLIANT_REASONS = ["超标准收取床位费", "重复收费", "分解收费", "超出工伤保险药品目录",
                        "无医嘱收费", "超范围检查", "串换诊疗项目"]
EMPLOYERS = ["煤业集团", "钢铁公司", "焦化厂", "建筑工程公司", "化工有限公司", "铝业公司",
             "电力公司", "运输公司"]
FINDINGS = ["伪造工伤住院病历", "虚开医疗费用票据", "串换诊疗项目骗取基金", "冒名就医",
            "虚构康复治疗项目", "伪造辅助器具配置单"]


@dataclass
class _Inst:
    """What the simulation keeps about an institution besides its aggregate."""

    code: str
    name: str
    kind: str
    subtype: str | None
    agency: str
    facts: dict[str, Any]
    people: list[dict[str, str]]
    quality: float
    arrive: date
    practitioners: list[tuple[str, str]]
    agreements: list[str] = field(default_factory=list)
    barred: list[str] = field(default_factory=list)   # practitioners with a bar
    pilot: bool = False
    closed: bool = False
    claims_done: bool = False

    @property
    def networked(self) -> bool:
        return bool(self.facts.get("networked_settlement"))


class _Aggregates:
    """Stands in for the repository: the live aggregates, by id."""

    def __init__(self) -> None:
        self.by_id: dict[UUID, Any] = {}

    def get(self, aggregate_id: UUID, **_: Any) -> Any:
        try:
            return self.by_id[aggregate_id]
        except KeyError:
            raise AggregateNotFoundError(aggregate_id) from None


class _MemoryLedger(Ledger):
    """The ledger's own handlers over aggregates held in memory: ``save``
    collects each aggregate's new events, in the order given, into ``sink``.
    No event store is constructed (``Application.__init__`` is not called)."""

    def __init__(self, command_records: bool) -> None:  # noqa: D107 - no store on purpose
        self._repository = _Aggregates()  # type: ignore[assignment]
        self._working_calendar = WorkingCalendar()
        self.command_records = command_records
        self.sink: list[DomainEvent] = []
        self.saved_agreements: list[Agreement] = []

    def calendar(self) -> WorkingCalendar:
        # No CalendarBook is ever recorded here, so this is what Ledger.calendar gives.
        return self._working_calendar

    def save(self, *objs: Any, **_: Any) -> list:  # type: ignore[override]
        for obj in objs:
            if obj is None:
                continue
            events = obj.collect_events()
            if isinstance(obj, CommandRecord):
                if self.command_records:
                    self.sink.extend(events)
                continue   # never looked up again: command ids are unique
            self._repository.by_id[obj.id] = obj  # type: ignore[attr-defined]
            if events:
                self.sink.extend(events)
                if isinstance(obj, Agreement):
                    self.saved_agreements.append(obj)
        return []


def _days_in_month(d: date) -> int:
    return (add_months(d.replace(day=1), 1) - d.replace(day=1)).days


class _Province:
    def __init__(self, seed: int, institutions: int, years: int, start_year: int,
                 command_records: bool) -> None:
        if institutions < 1 or years < 1:
            raise ValueError("institutions and years must be at least 1")
        self.seed = seed
        self.rng = Random(seed)
        self.size = institutions
        self.first_year = start_year
        self.last_year = start_year + years - 1
        # The last year's December claims, assessments and deposit clearing
        # fall in the next year's first quarter: run the clock until then.
        self.horizon = date(start_year + years, 3, 31)
        self.svc = _MemoryLedger(command_records)
        self.by_id = self.svc._repository.by_id  # type: ignore[attr-defined]
        self.cal = self.svc.calendar()
        self.handlers: dict[str, Any] = {}
        self.n = 0
        self.today = date(start_year, 1, 1) - ONE_DAY
        self.queue: list[tuple[date, int, Iterator[date]]] = []
        self.due: list[tuple[date, int, str]] = []
        self.seq = 0
        self.listing: dict[str, int] = {}
        self.agreements: dict[str, Agreement] = {}
        self.counters: dict[tuple, int] = {}
        self.claimants: list[_Inst] = []
        self.used_ids: set[str] = set()
        self.names: set[str] = set()
        self.investors: list[tuple[str, str]] = []
        self.staff = self._staff()
        self.experts = {a: [(f"ZJ-{a}-{k:03d}", self._person_name()) for k in range(1, 41)]
                        for a in AGENCIES}

    # --- plumbing ---------------------------------------------------------------------
    def days(self, lo: int, hi: int) -> timedelta:
        return timedelta(days=self.rng.randint(lo, hi))

    def no(self, key: tuple, template: str) -> str:
        self.counters[key] = self.counters.get(key, 0) + 1
        return template.format(self.counters[key])

    def who(self, agency: str, role: str) -> tuple[str, str]:
        return self.rng.choice(self.staff[agency][role]), role

    def _staff(self) -> dict[str, dict[str, list[str]]]:
        out = {}
        for a in AGENCIES:
            names = self.rng.sample(STAFF, 8)
            out[a] = {"case_officer": [f"{a.lower()}.{n}" for n in names[:4]],
                      "evaluator": [f"{a.lower()}.{n}" for n in names[4:6]],
                      "finance": [f"{a.lower()}.{n}" for n in names[6:]]}
        return out

    def do(self, name: str, on: date, actor: tuple[str, str], /, document: str = "",
           **args: Any) -> None:
        """Give one command as the ledger would handle it."""
        self.n += 1
        ctx = Context(f"gen-{self.seed}-{self.n}", on, actor[0], actor[1], document)
        if self.svc.command_records:
            getattr(self.svc, name)(ctx, **args)   # the full wrapper, with its record
        else:
            handler = self.handlers.get(name)
            if handler is None:
                handler = self.handlers[name] = getattr(Ledger, name).__wrapped__
            check_role(name, ctx.role)
            aggregates, _ = handler(self.svc, ctx, **args)
            self.svc.save(*aggregates)
        number = args.get("agreement")
        if number is not None:
            # The service brings an agreement up to date before acting on it, and a
            # few commands (submit_claim) do not save it: the tick must have done so.
            ag = self.agreements.get(number)
            if ag is not None and ag.pending_events:
                raise RuntimeError(f"{name} left {number} with unsaved events on {on}")
        self._track_agreements()

    def _track_agreements(self) -> None:
        """Note when each saved agreement next has something fall due, for the tick."""
        saved = self.svc.saved_agreements
        if not saved:
            return
        for ag in saved:
            self.agreements[ag.number] = ag
            nxt = ag.due_consequences(date.max, self.cal)
            if nxt:
                heapq.heappush(self.due, (nxt[0][0], self.listing[ag.number], ag.number))
        saved.clear()

    def spawn(self, process: Iterator[date], at: date | None = None) -> None:
        self.seq += 1
        heapq.heappush(self.queue, (at or self.today, self.seq, process))

    def _step(self, process: Iterator[date]) -> None:
        try:
            when = next(process)
        except StopIteration:
            return
        if when < self.today:
            raise RuntimeError(f"a process went back in time to {when} on {self.today}")
        self.seq += 1
        heapq.heappush(self.queue, (when, self.seq, process))

    def agreement(self, number: str) -> Agreement:
        return self.agreements[number]

    def institution(self, x: _Inst) -> Institution:
        return self.by_id[Institution.id_for(x.code)]

    def claim(self, agreement: str, month: str) -> Claim:
        return self.by_id[Claim.id_for(Claim.key(agreement, month))]

    # --- the clock ------------------------------------------------------------------
    def run(self) -> Iterator[list[DomainEvent]]:
        self._populate()
        self.spawn(self._claims_clock(), date(self.first_year, 2, 1))
        month = None
        while self.queue or self.due:
            candidates = []
            if self.queue:
                candidates.append(self.queue[0][0])
            if self.due:
                # Something that fell due during today's commands is the next tick's.
                candidates.append(max(self.due[0][0], self.today + ONE_DAY))
            d = min(candidates)
            if d > self.horizon:
                break
            if (d.year, d.month) != month:
                if self.svc.sink:
                    yield self._flush()
                month = (d.year, d.month)
            self.today = d
            if self.due and self.due[0][0] <= d:
                self._tick(d)
            while self.queue and self.queue[0][0] <= d:
                self._step(heapq.heappop(self.queue)[2])
        if self.svc.sink:
            yield self._flush()

    def _flush(self) -> list[DomainEvent]:
        batch, self.svc.sink = self.svc.sink, []
        return batch

    def _tick(self, d: date) -> None:
        """Ledger.tick on day ``d`` (run just after midnight, before the day's
        commands), over the agreements that have something due: the others
        record nothing in the real tick either."""
        numbers = set()
        while self.due and self.due[0][0] <= d:
            numbers.add(heapq.heappop(self.due)[2])
        todo = [self.agreement(n) for n in sorted(numbers, key=self.listing.__getitem__)]
        todo = [ag for ag in todo if ag.due_consequences(d, self.cal)]
        if not todo:
            return
        self.n += 1
        envelope = Envelope(user="ledger-clock", role="system",
                            command_id=f"gen-{self.seed}-{self.n}", document="")
        registry: Registry = self.by_id[Registry.ID]
        for ag in todo:   # in the registry's order, as Ledger.tick visits registry.live
            before = len(ag.pending_events)
            touched = self.svc._advance(ag, d, envelope)
            if len(ag.pending_events) == before:
                continue
            if ag.is_ended:
                registry.retire(ag.number, d, envelope)
            self.svc.save(ag, *touched)
        if registry.pending_events:
            self.svc.save(registry)
        self._track_agreements()

    # --- the population ---------------------------------------------------------------
    def _person_name(self) -> str:
        rng = self.rng
        given = rng.choice((1, 2, 2))
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(given))

    def _id_card(self, agency: str) -> str:
        rng = self.rng
        while True:
            born = date(1955, 1, 1) + timedelta(days=rng.randint(0, 35 * 365))
            body = (f"{REGION[agency]}{rng.randint(1, 30):02d}{born:%Y%m%d}"
                    f"{rng.randint(0, 999):03d}")
            weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
            check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
            pid = body + check
            if pid not in self.used_ids:
                self.used_ids.add(pid)
                return pid

    def _credit_code(self, agency: str, prefix: str = "91") -> str:
        rng = self.rng
        while True:
            code = (f"{prefix}{REGION[agency]}00MA0"
                    + "".join(rng.choice(CREDIT_CHARS) for _ in range(7)))
            if code not in self.used_ids:
                self.used_ids.add(code)
                return code

    def _unique(self, name: str) -> str:
        base, k = name, 1
        while name in self.names:
            k += 1
            name = f"{base}第{k}分院"
        self.names.add(name)
        return name

    def _populate(self) -> None:
        rng = self.rng
        n = self.size
        agencies = list(AGENCY_WEIGHTS)
        weights = [AGENCY_WEIGHTS[a] for a in agencies]
        n_rehab = max(1, round(n * 0.03))
        n_assistive = max(1, round(n * 0.08))
        kinds = (["rehab"] * n_rehab + ["assistive"] * n_assistive
                 + ["medical"] * max(0, n - n_rehab - n_assistive))[:n]
        rng.shuffle(kinds)
        for _ in range(max(4, n // 25)):   # investor companies, some behind several institutions
            a = rng.choice(agencies)
            self.investors.append((self._credit_code(a),
                                   f"山西{rng.choice(BRANDS)}医疗投资有限公司"))
        seqs: dict[tuple[str, str], int] = {}
        for i, kind in enumerate(kinds):
            agency = rng.choices(agencies, weights)[0]
            subtype = rng.choices(ASSISTIVE_SUBTYPES, (35, 25, 25, 15))[0] \
                if kind == "assistive" else None
            letter = {"medical": "H", "rehab": "R", "assistive": "A"}[kind]
            seqs[(agency, letter)] = seqs.get((agency, letter), 0) + 1
            code = f"{agency}-{letter}{seqs[(agency, letter)]:03d}"
            if i < n * FIRST_YEAR_SHARE or self.first_year == self.last_year:
                arrive = date(self.first_year, 1, 4) + self.days(0, 120)
            else:
                span = max(1, self.last_year - 1 - self.first_year)
                arrive = date(self.first_year + 1, 1, 4) + self.days(0, 365 * span - 1)
            x = self._institution(code, kind, subtype, agency, arrive)
            self.spawn(self._life(x), arrive)

    def _institution(self, code: str, kind: str, subtype: str | None, agency: str,
                     arrive: date) -> _Inst:
        rng = self.rng
        city = CITY[agency] if agency != "SX" else rng.choice(("太原", "晋中"))
        county = rng.choice(COUNTIES[agency])
        brand = rng.choice(BRANDS)
        if kind == "medical":
            category = rng.choices(("general", "tcm", "specialty"), (55, 15, 30))[0]
            level = rng.choices((3, 2, 1), (20, 45, 35))[0]
            if agency == "SX":
                level = 3
            if category == "general":
                name = rng.choice((f"{city}市第{rng.randint(1, 9)}人民医院", f"{county}人民医院",
                                   f"{city}{brand}医院", f"{county}{brand}综合医院"))
            elif category == "tcm":
                name = rng.choice((f"{city}市中医医院", f"{county}中医院", f"{city}{brand}中医医院"))
            else:
                name = f"{city}{brand}{rng.choice(SPECIALTIES)}"
            beds = {3: rng.randint(600, 2000), 2: rng.randint(150, 600),
                    1: rng.randint(30, 150)}[level]
        elif kind == "rehab":
            category, level = rng.choice((("rehab", 2), ("rehab", 3), ("general", 3)))
            name = f"{city}{brand}康复医院" if category == "rehab" else f"{city}{brand}医院康复中心"
            beds = rng.randint(100, 500)
        else:
            category, level = "assistive_fitter", 0
            name = f"{city}{brand}" + {"prosthetic_orthotic": "假肢矫形器有限公司",
                                        "hearing_aid": "助听器验配中心",
                                        "optical_aid": "低视力助视器验配中心",
                                        "artificial_eye": "义眼定制中心"}[subtype or ""]
            beds = 0
        name = self._unique(name)
        public = kind != "assistive" and category != "specialty" and rng.random() < 0.85
        started = arrive - timedelta(days=rng.randint(200, 365 * 30))
        doctors = max(2, beds // rng.randint(3, 6)) if beds else rng.randint(2, 10)
        facts = {
            "credit_code": self._credit_code(agency, "12" if public else "91"),
            "ownership": "public" if public else "private",
            "category": category, "non_profit": public, "public": public,
            "licence_no": (f"PDY{rng.randint(10000, 99999)}-{REGION[agency][2:]}"
                           if kind != "assistive"
                           else f"JY-{started.year}-{rng.randint(1, 999):03d}"),
            "licence_date": started, "level": level, "legal_person": True,
            "business_started_on": started,
            "address": f"山西省{city}市{county}{rng.choice(('区', '县'))}{brand}路{rng.randint(1, 399)}号",
            "staff": {"doctors": doctors, "senior_doctors": doctors // 4,
                      "nurses": int(doctors * 1.4), "therapists": rng.randint(0, 40),
                      "technicians": doctors // 5, "other": doctors // 3},
            "volumes": {"outpatients": beds * rng.randint(150, 400),
                        "inpatients": beds * rng.randint(15, 30),
                        "surgeries": beds * rng.randint(2, 8) if kind == "medical" else 0,
                        "devices_fitted": rng.randint(50, 2000) if kind == "assistive" else 0,
                        "average_outpatient_cost":
                            f"{rng.randint(120, 480)}.{rng.randint(0, 99):02d}",
                        "average_inpatient_cost": f"{rng.randint(6000, 18000)}.00"},
            "departments_with_beds": (rng.sample(["骨科", "烧伤科", "手外科", "神经外科", "康复科",
                                                  "普外科", "眼科"], 2) if beds else []),
            "beds": beds,
            "large_equipment": (rng.sample(["CT", "MRI", "DSA", "DR", "彩超"], 2)
                                if beds > 150 else []),
            "networked_settlement": rng.random() < 0.6,
        }
        people = [{"person_id": self._id_card(agency), "name": self._person_name(),
                   "role": "legal_representative"}]
        if rng.random() < 0.3:
            people.append({"person_id": self._id_card(agency), "name": self._person_name(),
                           "role": "principal"})
        if not public:
            k = min(len(self.investors) - 1, int(rng.paretovariate(1.2)) - 1)
            investor = self.investors[k] if rng.random() < 0.5 else \
                (self._credit_code(agency), f"{city}{brand}投资管理有限公司")
            people.append({"person_id": investor[0], "name": investor[1], "role": "investor"})
            if rng.random() < 0.2:
                people.append({"person_id": self._id_card(agency), "name": self._person_name(),
                               "role": "actual_controller"})
        practitioners = [(self._id_card(agency), self._person_name())
                         for _ in range(rng.randint(6, 24))]
        q = rng.betavariate(4, 2)
        return _Inst(code, name, kind, subtype, agency, facts, people, q, arrive, practitioners)

    # --- an institution's life ----------------------------------------------------------
    def _life(self, x: _Inst) -> Iterator[date]:
        day = x.arrive
        yield day
        officer = self.who(x.agency, "case_officer")
        self.do("register_institution", day, officer, document=f"F1-{x.code}", code=x.code,
                name=x.name, kind=x.kind, subtype=x.subtype, agency=x.agency,
                facts=_copy(x.facts), people=[dict(p) for p in x.people])
        day += self.days(5, 60)
        while True:
            outcome, day = yield from self._admission(x, day)
            if outcome == "passed":
                break
            if day is None or day.year > self.last_year:
                return
        if x.kind == "rehab":
            day = yield from self._pilot(x, day)
            if day is None:
                return
        number = None
        for _ in range(2):   # a stopped (objection upheld) first agreement is signed again
            day += self.days(7, 45)
            if not self._has_basis(x, day):
                day = self.today   # the pass would run out: sign now
            number = yield from self._sign(x, day)
            if number != "stopped":
                break
            day = self.today
        if number and number != "stopped":
            yield from self._terms(x, number)

    def _has_basis(self, x: _Inst, on: date) -> bool:
        inst = self.institution(x)
        if self.svc.valid_pass(inst, on) is not None:
            return True
        return any(self.by_id[AdmissionApplication.id_for(n)].exemption is not None
                   for n in inst.applications)

    def _unbarred(self, x: _Inst, day: date) -> Iterator[date]:
        """ADM-03 / AGR-01: wait until no ground bars the institution."""
        while True:
            yield day
            grounds = self.svc.bars_on(self.institution(x), day)
            if not grounds:
                return day
            lifts = [g.lifts_on for g in grounds]
            if all(lifts):
                day = max(lifts) + self.days(0, 15)   # type: ignore[type-var]
            else:
                day += self.days(20, 40)

    def _admission(self, x: _Inst, day: date):
        rng = self.rng
        day = yield from self._unbarred(x, day)
        if day.year > self.last_year:
            return "none", None
        officer = self.who(x.agency, "case_officer")
        number = self.no(("SQ", x.agency, day.year), f"SQ-{x.agency}-{day.year}-{{:04d}}")
        materials = list(MATERIALS)
        if rng.random() < 0.22:
            for m in rng.sample(materials[1:], rng.randint(1, 3)):
                materials.remove(m)
        self.do("submit_application", day, officer, document=f"申请书-{number}", number=number,
                institution=x.code, materials=materials)
        app: AdmissionApplication = self.by_id[AdmissionApplication.id_for(number)]
        if app.missing:
            if rng.random() < 0.93:
                day = self.cal.add_working_days(day, rng.randint(1, 5)).due
            else:   # the notice is late (ADM-04)
                day = self.cal.add_working_days(day, 5).due + self.days(1, 4)
            yield day
            notice_no = self.no(("BZ", x.agency, day.year),
                                f"{SHORT[x.agency]}工伤补〔{day.year}〕{{}}号")
            self.do("send_materials_notice", day, officer, document=notice_no,
                    application=number, notice_no=notice_no, missing=list(app.missing),
                    supply_by=day + timedelta(days=15))
            day += self.days(3, 14)
            yield day
            self.do("supply_materials", day, officer, application=number,
                    items=list(app.missing))
        day += self.days(1, 6)
        yield day
        self.do("accept_application", day, officer, application=number)
        if (x.kind == "medical" and x.facts["level"] >= 2
                and x.facts["category"] in ("general", "tcm") and rng.random() < 0.45):
            day += self.days(2, 15)
            yield day
            self.do("exempt_from_evaluation", day, officer, application=number,
                    basic_medical_designation=f"晋医保定点〔{day.year - rng.randint(1, 8)}〕"
                                              f"{rng.randint(1, 3000):04d}",
                    fits_planning=True)
            return "passed", day
        ev = None
        for attempt in (1, 2):
            if attempt == 1:
                day += self.days(15, 75) if rng.random() < 0.95 else self.days(92, 110)
            else:
                day = max(self.today, ev.reevaluation_from) + self.days(0, 45)
            ev = yield from self._evaluate(x, number, day, attempt)
            day = self.today
            if ev.result["passed"]:
                return "passed", day
        return "failed", ev.reapply_from + self.days(0, 120)

    def _panel(self, agency: str) -> tuple[list[dict[str, Any]], list[str]]:
        rng = self.rng
        size = rng.choice((7, 7, 7, 9, 9, 11))
        chosen = rng.sample(self.experts[agency], size + 1)
        members = [{"member_id": mid, "name": nm,
                    "role": "agency_staff" if k == 0 else "expert", "conflict": None}
                   for k, (mid, nm) in enumerate(chosen[:size])]
        if rng.random() < 0.15:
            mid, nm = chosen[size]
            members.append({"member_id": mid, "name": nm, "role": "expert",
                            "conflict": rng.choice(("曾在申请机构任职", "近亲属在申请机构工作",
                                                    "持有申请机构股份"))})
        return members, [m["member_id"] for m in members if not m["conflict"]]

    def _deductions(self, items: Iterable[Any], amount: Decimal,
                    reasons: list[str]) -> dict[str, list[list[Any]]]:
        rng = self.rng
        left = {it.code: it.max_points for it in items}
        codes = list(left)
        out: dict[str, list[list[Any]]] = {}
        remaining = amount
        while remaining > 0:
            code = rng.choice(codes)
            if left[code] <= 0:
                continue
            step = min(remaining, left[code],
                       Decimal(rng.choice(("0.5", "1", "1", "2", "2", "3", "5"))))
            out.setdefault(code, []).append([step, rng.choice(reasons)])
            left[code] -= step
            remaining -= step
        return out

    def _evaluate(self, x: _Inst, application: str, day: date, attempt: int):
        rng = self.rng
        yield day
        evaluator = self.who(x.agency, "evaluator")
        number = self.no(("PG", x.agency, day.year), f"PG-{x.agency}-{day.year}-{{:04d}}")
        members, scoring = self._panel(x.agency)
        self.do("form_panel", day, evaluator, evaluation=number, application=application,
                members=members)
        day += self.days(0, 3)
        yield day
        passed = rng.random() < ((0.72 + 0.25 * x.quality) if attempt == 1 else 0.7)
        veto: list[str] = []
        if passed:
            amount = Decimal(rng.randint(0, 20)) / 2
        elif rng.random() < 0.15:
            veto = [rng.choice(("V1", "V2", "V3", "V4", "V5"))]
            amount = Decimal(rng.randint(0, 16)) / 2
        else:
            amount = Decimal(rng.randint(21, 50)) / 2
        form = f2_form_for(x.kind, x.subtype)
        self.do("record_scores", day, evaluator, evaluation=number, scored_by=scoring,
                deductions=self._deductions(form.items, amount, F2_REASONS), awarded={},
                veto_failed=veto)
        day += self.days(0, 4)
        yield day
        report_no = self.no(("BG", x.agency, day.year), f"{SHORT[x.agency]}工伤评〔{day.year}〕{{}}号")
        if passed:
            extra = dict(validity_years=rng.choice((1, 2, 2)), reasons=[], advice="")
        else:
            why = (f"单项否决项{veto[0]}未通过" if veto else f"总分{100 - amount}分，低于90分")
            extra = dict(validity_years=None, reasons=[why],
                         advice=rng.choice(("补齐人员配置后申请再次评估", "完善信息系统对接后申请再次评估",
                                            "整改设备配置及管理制度后申请再次评估")))
        self.do("conclude_evaluation", day, evaluator, document=report_no, evaluation=number,
                report_no=report_no, served_on=day + self.days(0, 3), **extra)
        return self.by_id[Evaluation.id_for(number)]

    def _pilot(self, x: _Inst, day: date) -> Iterator[date]:
        """ADM-07: the agency selects at most two passed rehab institutions."""
        day += self.days(3, 20)
        while day.year <= self.last_year:
            yield day
            if self.svc.valid_pass(self.institution(x), day) is None:
                return None   # the pass lapsed while waiting for a place
            agency = self.by_id.get(Agency.id_for(x.agency))
            if agency is None or len(agency.rehab_pilots) < REHAB_PILOT_MAX:
                self.do("select_rehab_pilot", day, self.who(x.agency, "case_officer"),
                        agency=x.agency, institution=x.code)
                x.pilot = True
                return day
            day += self.days(60, 120)
        return None

    def _sign(self, x: _Inst, day: date, renewal_of: str | None = None,
              two_years: bool = False):
        """Sign an agreement once nothing bars it (checked on the signing day,
        right before signing), file it and start its public notice. Returns its
        number, "stopped" when an upheld objection stopped it, "" when it could
        not be signed."""
        rng = self.rng
        planned = day
        day = yield from self._unbarred(x, day)
        years, late_reason = 1, ""
        if renewal_of is None:
            term_start = date(day.year + (day.month > 9), 1, 1)
            if term_start.year > self.last_year or not self._has_basis(x, day):
                return ""
        else:
            before = self.agreement(renewal_of)
            if not before.in_force:
                return ""
            term_start = before.term_end + ONE_DAY
            if day > term_start + timedelta(days=300):
                term_start = date(day.year, 1, 1)
            if two_years:
                scores = self.svc.annual_scores(self.institution(x))
                if all(scores.get(term_start.year - k, -1) >= 90 for k in (1, 2, 3)):
                    years = 2
            if day > date(term_start.year, 3, 15):
                late_reason = ("关联机构协议被解除，限制期满后续签" if day > planned
                               else rng.choice(("机构整改期间暂缓续签", "年度考核结果复核，错过签约期")))
        officer = self.who(x.agency, "case_officer")
        number = self.no(("XY", x.agency, term_start.year),
                         f"XY-{x.agency}-{term_start.year}-{{:04d}}")
        self.listing[number] = len(self.listing)
        self.do("sign_agreement", day, officer, number=number, institution=x.code,
                agreement_type=None, term_start=term_start, term_years=years,
                renewal_of=renewal_of, late_reason=late_reason)
        x.agreements.append(number)
        if len(x.agreements) == 1:
            self.claimants.append(x)
        day += self.days(0, 3)
        yield day
        ref = self.no(("BA", x.agency, day.year), f"{SHORT[x.agency]}人社备〔{day.year}〕{{}}号")
        self.do("file_agreement", day, officer, agreement=number, filing_ref=ref)
        day += self.days(0, 2)
        yield day
        ref = self.no(("GS", x.agency, day.year), f"{SHORT[x.agency]}工伤公示〔{day.year}〕{{}}号")
        until = day + timedelta(days=rng.choice((5, 7, 7, 7, 10)))
        self.do("start_public_notice", day, officer, agreement=number, notice_ref=ref, until=until)
        if rng.random() < 0.012:
            day += timedelta(days=rng.randint(1, max(1, (until - day).days)))
            yield day
            objection = f"YY-{number}-1"
            self.do("raise_objection", day, officer, agreement=number, objection_no=objection,
                    raised_by=rng.choice(("参保单位", "工伤职工", "社会监督员")),
                    summary=rng.choice(("反映该机构存在挂床住院问题", "反映该机构收费不规范",
                                        "反映该机构康复设备不足")))
            day += self.days(3, 12)
            yield day
            upheld = renewal_of is None and rng.random() < 0.25
            self.do("decide_objection", day, officer, agreement=number, objection_no=objection,
                    upheld=upheld, reason="经核查情况属实" if upheld else "经核查反映问题不属实")
            if upheld:
                return "stopped"
        return number

    def _terms(self, x: _Inst, number: str | None) -> Iterator[date]:
        while number is not None:
            ag = self.agreement(number)
            for y in range(ag.term_start.year, ag.term_end.year + 1):
                if y > self.last_year:
                    return
                ended = yield from self._year(x, number, y)
                self.spawn(self._assess(x, number, y))
                if ended:
                    yield from self._closing(x, number)
                    return
            number = yield from self._renew(x, number)
        x.closed = True

    def _year(self, x: _Inst, number: str, y: int):
        rng = self.rng
        ag = self.agreement(number)
        start = max(date(y, 2, 1), self.today + timedelta(days=20))
        if ag.took_effect_on is None and ag.notice:
            start = max(start, ag.notice["until"] + timedelta(days=20))
        windows = {"voluntary": date(y, 5, 31), "disciplinary": date(y, 4, 30)}
        plan = []
        for kind, p in PER_YEAR.items():
            if rng.random() < p:
                end = windows.get(kind, date(y, 8, 31))
                if start < end:
                    plan.append((start + timedelta(days=rng.randint(0, (end - start).days)), kind))
        plan.sort()
        for when, kind in plan:
            when = max(when, self.today + ONE_DAY)
            if when > windows.get(kind, date(y, 8, 31)):
                continue   # an earlier incident took the time
            yield when
            if ag.is_ended:
                return True
            if not ag.in_force:
                continue
            ended = yield from getattr(self, "_" + kind)(x, number, when)
            if ended:
                return True
        return ag.is_ended

    def _closing(self, x: _Inst, number: str) -> Iterator[date]:
        ag = self.agreement(number)
        x.closed = True
        if x.pilot:
            ended = ag.ending["ended_on"] if ag.ending else self.today
            day = max(self.today, ended) + self.days(3, 20)
            yield day
            self.do("release_rehab_pilot", day, self.who(x.agency, "case_officer"),
                    agency=x.agency, institution=x.code,
                    reason=f"协议{number}已终止，释放康复试点名额")
            x.pilot = False

    def _renew(self, x: _Inst, number: str):
        rng = self.rng
        ag = self.agreement(number)
        officer = self.who(x.agency, "case_officer")
        due_by = add_months(ag.term_end, -3)
        day = due_by - self.days(0, 45) if rng.random() < 0.9 else due_by + self.days(1, 50)
        day = max(day, self.today + ONE_DAY)
        yield day
        if not ag.in_force:
            x.closed = True
            return None
        self.do("apply_for_renewal", day, officer, agreement=number, applied_on=day)
        if rng.random() < REFUSED_RENEWAL:
            day += self.days(20, 60)
            yield day
            self.do("refuse_renewal", day, officer, agreement=number,
                    reason="双方未就服务协议内容达成一致")
            yield max(self.today, ag.term_end) + self.days(2, 10)
            yield from self._closing(x, number)
            return None
        term_start = ag.term_end + ONE_DAY
        scores = self.svc.annual_scores(self.institution(x))
        two_years = (rng.random() < 0.6 and all(scores.get(term_start.year - k, -1) >= 90
                                                 for k in (2, 3)))
        r = rng.random()
        if two_years:     # waits for this year's assessment: signed in the March round
            day = date(term_start.year, 3, 1) + self.days(0, 13)
        elif r < 0.86:
            day = date(ag.term_end.year, 12, 1) + self.days(0, 14)
        elif r < 0.97:    # in the round, after expiry: M 51 continues the old one meanwhile
            day = date(term_start.year, 1, 6) + self.days(0, 60)
        else:             # late
            day = date(term_start.year, 3, 16) + self.days(0, 45)
        successor = yield from self._sign(x, max(day, self.today), number, two_years)
        if successor:
            return successor
        if not ag.in_force:
            yield from self._closing(x, number)
        return None

    # --- incidents during a year ------------------------------------------------------
    def _change(self, x: _Inst, number: str, day: date):
        rng = self.rng
        officer = self.who(x.agency, "case_officer")
        change = rng.choices(("legal_representative", "address", "name", "level",
                              "service_scope"), (40, 20, 10, 15, 15))[0]
        if change == "level" and x.facts["level"] in (0, 3):
            change = "address"
        details, amend, new = "", {}, None
        if change == "legal_representative":
            old = next(p for p in x.people if p["role"] == "legal_representative")
            new = {"person_id": self._id_card(x.agency), "name": self._person_name(),
                   "role": "legal_representative"}
            details = f"法定代表人由{old['name']}变更为{new['name']}"
        elif change == "address":
            amend = {"address": f"山西省{CITY.get(x.agency, '太原')}市{rng.choice(COUNTIES[x.agency])}"
                                f"{rng.choice(BRANDS)}街{rng.randint(1, 299)}号"}
            details = "执业地址变更"
        elif change == "name":
            amend = {"name": self._unique(x.name.replace("医院", "总医院", 1)
                                          if "医院" in x.name else x.name + "（集团）")}
            details = f"机构名称由{x.name}变更为{amend['name']}"
        elif change == "level":
            amend = {"level": x.facts["level"] + 1}
            details = f"医院等级由{x.facts['level']}级升为{x.facts['level'] + 1}级"
        else:
            amend = {"departments_with_beds": [*x.facts["departments_with_beds"], "康复医学科"]}
            details = "增设康复医学科"
        approved = day
        r = rng.random()
        if r < 0.95:
            late = r >= 0.85
            day = self.cal.add_working_days(approved, rng.randint(31, 45) if late
                                            else rng.randint(3, 28)).due
            yield day
            yield from self._apply_change(x, day, change, amend, new)
            self.do("record_change", day, officer, agreement=number, change=change,
                    approved_on=approved, reported_on=day, details=details)
        else:   # learned of it elsewhere; the report comes after the deadline (AGR-06)
            day += self.days(5, 20)
            yield day
            self.do("record_change", day, officer, agreement=number, change=change,
                    approved_on=approved, reported_on=None, details=details)
            day = self.cal.add_working_days(approved, 30).due + self.days(5, 40)
            yield day
            if not self.agreement(number).in_force:
                return False
            yield from self._apply_change(x, day, change, amend, new)
            self.do("report_change", day, officer, agreement=number, change=change,
                    reported_on=day)
        return False

    def _apply_change(self, x: _Inst, day: date, change: str, amend: dict[str, Any],
                      new: dict[str, str] | None):
        officer = self.who(x.agency, "case_officer")
        if new is not None:
            old = next(p for p in x.people if p["role"] == "legal_representative")
            self.do("unlink_person", day, officer, institution=x.code,
                    person_id=old["person_id"], role="legal_representative")
            self.do("link_person", day, officer, institution=x.code, person_id=new["person_id"],
                    name=new["name"], role="legal_representative")
            x.people = [p for p in x.people if p is not old] + [new]
        else:
            self.do("amend_institution", day, officer, institution=x.code, changes=_copy(amend))
            if "name" in amend:
                x.name = amend["name"]
            else:
                x.facts = {**x.facts, **amend}
        return
        yield  # a generator, for ``yield from``

    def _clause(self, agreement_type: str, suspending: bool):
        found = [g for g in BREACH_CLAUSES if g.code.startswith(agreement_type)
                 and (("suspend" in g.sanctions) == suspending or not suspending)]
        return self.rng.choice(found)

    def _breach(self, x: _Inst, number: str, day: date):
        rng = self.rng
        ag = self.agreement(number)
        g = self._clause(ag.agreement_type, False)
        allowed = [s for s in g.sanctions if s not in ("suspend", "deposit_50")]
        yield day
        self.do("record_breach_finding", day, self.who(x.agency, "case_officer"),
                agreement=number, clause=g.code, found_on=day - self.days(1, 15),
                facts=f"稽核发现：{g.text_zh[:40]}",
                sanctions=rng.sample(allowed, min(len(allowed), rng.randint(1, 2))))
        return False

    def _must_terminate(self, number: str) -> bool:
        return any(o["kind"] == "must_terminate" and o["discharged_on"] is None
                   for o in self.agreement(number).obligations)

    def _mandatory(self, x: _Inst, number: str, day: date):
        officer = self.who(x.agency, "case_officer")
        g = self.rng.choice(MANDATORY_SUSPENSION_GROUNDS)
        yield day
        notice = self.no(("ZZ", x.agency, day.year), f"{SHORT[x.agency]}工伤中止〔{day.year}〕{{}}号")
        self.do("suspend_agreement", day, officer, document=notice, agreement=number,
                kind="mandatory", ground=g.code, start=day, requested_on=None,
                planned_days=None, months=None, notice_no=notice)
        if self._must_terminate(number):
            return (yield from self._terminate(x, number, day + self.days(10, 30), "M39-1"))
        if self.rng.random() < 0.5:
            day += self.days(10, 40)
            yield day
            self.do("apply_for_resumption", day, officer, agreement=number, applied_on=day)
        day += self.days(5, 35)
        yield day
        self.do("resume_agreement", day, officer, agreement=number)
        return False

    def _disciplinary(self, x: _Inst, number: str, day: date):
        rng = self.rng
        officer = self.who(x.agency, "case_officer")
        ag = self.agreement(number)
        g = self._clause(ag.agreement_type, True)
        yield day
        self.do("record_breach_finding", day, officer, agreement=number, clause=g.code,
                found_on=day - self.days(3, 20), facts=f"专项检查发现：{g.text_zh[:40]}",
                sanctions=["suspend", *rng.sample([s for s in g.sanctions if s != "suspend"], 1)])
        notice = self.no(("ZT", x.agency, day.year), f"{SHORT[x.agency]}工伤暂停〔{day.year}〕{{}}号")
        self.do("suspend_agreement", day, officer, document=notice, agreement=number,
                kind="disciplinary", ground=g.code, start=day, requested_on=None,
                planned_days=None, months=rng.randint(3, 6), notice_no=notice)
        if self._must_terminate(number):
            return (yield from self._terminate(x, number, day + self.days(10, 30), "M39-1"))
        day = ag.suspension["planned_end"] + self.days(1, 12)
        yield day
        self.do("apply_for_resumption", day, officer, agreement=number, applied_on=day)
        day += self.days(3, 15)
        yield day
        passed = rng.random() < 0.92
        ref = self.no(("JC", x.agency, day.year), f"{SHORT[x.agency]}工伤检查〔{day.year}〕{{}}号")
        self.do("record_inspection", day, officer, agreement=number, passed=passed,
                report_ref=ref)
        if not passed:
            ground = "MA44-3" if ag.agreement_type == "MA" and rng.random() < 0.5 else "M39-1"
            return (yield from self._terminate(x, number, day + self.days(7, 30), ground))
        return False

    def _voluntary(self, x: _Inst, number: str, day: date):
        rng = self.rng
        officer = self.who(x.agency, "case_officer")
        ag = self.agreement(number)
        requested = day
        day += self.days(3, 15)
        yield day
        notice = self.no(("ZZ", x.agency, day.year), f"{SHORT[x.agency]}工伤中止〔{day.year}〕{{}}号")
        planned = rng.randrange(30, 181, 10)
        self.do("suspend_agreement", day, officer, document=notice, agreement=number,
                kind="voluntary", ground="", start=day, requested_on=requested,
                planned_days=planned, months=None, notice_no=notice)
        s = ag.suspension
        if rng.random() < VOLUNTARY_NEVER_RESUMED:
            yield s["resume_by"] + self.days(2, 10)   # the tick ended it on day 181 (SUS-02)
            return True
        day = max(day + ONE_DAY, min(day + timedelta(days=planned) - self.days(0, 10),
                                     s["resume_by"]))
        yield day
        self.do("apply_for_resumption", day, officer, agreement=number, applied_on=day)
        day += self.days(1, 7)
        yield day
        self.do("resume_agreement", day, officer, agreement=number)
        return False

    def _bar(self, x: _Inst, number: str, day: date):
        rng = self.rng
        officer = self.who(x.agency, "case_officer")
        free = [p for p in x.practitioners if p[0] not in x.barred]
        if not free:
            return False
        pid, name = rng.choice(free)
        yield day
        bar_no = self.no(("TZ", x.agency, day.year), f"{SHORT[x.agency]}工伤停〔{day.year}〕{{}}号")
        self.do("propose_practitioner_bar", day, officer, bar_no=bar_no, person_id=pid, name=name,
                institution=x.code, years=rng.choice((1, 1, 2, 2, 3, 5)),
                finding=rng.choice(FINDINGS))
        day += self.days(10, 30)
        yield day
        ref = self.no(("PF", "SX", day.year), f"晋人社函〔{day.year}〕{{}}号")
        self.do("approve_practitioner_bar", day, officer, document=ref, bar_no=bar_no,
                person_id=pid, approval_ref=ref)
        x.barred.append(pid)
        day += self.days(1, 10)
        yield day
        self.do("report_bar_to_regulator", day, officer, bar_no=bar_no, person_id=pid,
                regulator=f"{CITY[x.agency]}{'' if x.agency == 'SX' else '市'}卫生健康委员会",
                report_ref=self.no(("BG2", x.agency, day.year),
                                   f"{SHORT[x.agency]}人社报〔{day.year}〕{{}}号"))
        return False

    def _bar_fact(self, x: _Inst, number: str, day: date):
        officer = self.who(x.agency, "case_officer")
        ground, note = self.rng.choice((("M11-7", "欠缴社会保险费三个月"),
                                        ("M11-6", "因涉嫌违规收费被卫生健康部门立案调查")))
        yield day
        self.do("record_bar_fact", day, officer, institution=x.code, ground=ground,
                occurred_on=day - self.days(0, 10), note=note)
        day += self.days(20, 80)
        yield day
        self.do("lift_bar_fact", day, officer, institution=x.code, ground=ground, lifted_on=day,
                note="已补缴" if ground == "M11-7" else "调查终结，未予处罚")
        return False

    def _recovery(self, x: _Inst, number: str, day: date, ground: str = "PAY-08"):
        rng = self.rng
        yield day
        fin = self.who(x.agency, "finance")
        amount = rng.randint(2000, 80000) * 100 + rng.randint(0, 99)
        ref = self.no(("ZH", x.agency, day.year), f"{SHORT[x.agency]}工伤追回〔{day.year}〕{{}}号")
        self.do("order_recovery", day, fin, agreement=number, year=day.year, amount_fen=amount,
                ground=ground, ref=ref)
        self.spawn(self._repayments(x, number, day, amount, ref))
        return False

    def _repayments(self, x: _Inst, number: str, day: date, amount: int, ref: str):
        rng = self.rng
        left = amount if rng.random() < 0.85 else amount // 2
        year = day.year
        for k in range(rng.randint(1, 3)):
            day += self.days(20, 70)
            part = left if k == 2 or rng.random() < 0.5 else left // 2
            if part <= 0 or day > self.horizon:
                return
            yield day
            self.do("record_recovery", day, self.who(x.agency, "finance"), agreement=number,
                    year=year, amount_fen=part, ref=f"{ref}-回款{k + 1}")
            left -= part

    def _terminate(self, x: _Inst, number: str, day: date, code: str | None = None):
        rng = self.rng
        ag = self.agreement(number)
        if code is None:
            choices = [g for g in TERMINATION_GROUNDS if g.code != "M39-1"
                       and (g.code.startswith("M39") or g.code.startswith(ag.agreement_type))]
            g = rng.choices(choices, [6 if g.code == "M39-12" else 1 for g in choices])[0]
        else:
            g = next(g for g in TERMINATION_GROUNDS if g.code == code)
        yield day
        notice = self.no(("JX", x.agency, day.year), f"{SHORT[x.agency]}工伤解协〔{day.year}〕{{}}号")
        report = self.no(("BG2", x.agency, day.year), f"{SHORT[x.agency]}人社报〔{day.year}〕{{}}号")
        self.do("terminate_agreement", day, self.who(x.agency, "case_officer"), document=notice,
                agreement=number, ground=g.code, notice_no=notice, notice_on=day,
                reported_on=day, report_ref=report, reason=g.text_zh[:60])
        if {"refund", "recover_loss"} & set(g.sanctions):
            self.spawn(self._recovery(x, number, day + self.days(3, 20), g.code))
        return True

    def _early_end(self, x: _Inst, number: str, day: date):
        yield day
        self.do("give_notice_to_end", day, self.who(x.agency, "case_officer"), agreement=number,
                given_by="institution",
                reason=self.rng.choice(("医院整体搬迁，暂停工伤医疗服务", "机构转型，不再提供工伤服务",
                                        "经营困难，提前终止协议")))
        yield self.agreement(number).early_end["ends_on"] + self.days(1, 5)
        return True

    # --- money: claims, assessment, deposit -------------------------------------------
    def _claims_clock(self) -> Iterator[date]:
        """On the 1st of each month: who has a claim to make for the month before."""
        month = date(self.first_year, 1, 1)
        while month.year <= self.last_year:
            nxt = add_months(month, 1)
            yield nxt
            last = nxt - ONE_DAY
            for x in self.claimants:
                if x.claims_done:
                    continue
                candidates = []
                for number in x.agreements[-3:]:
                    ag = self.agreement(number)
                    if ag.took_effect_on is None or ag.took_effect_on > last:
                        continue
                    if ag.ending is not None and ag.ending["ended_on"] <= month:
                        continue
                    candidates.append(ag)
                if candidates:
                    self.spawn(self._claim_month(x, month, candidates[::-1]))
                elif x.closed:
                    x.claims_done = True
            month = nxt

    def _amount(self, x: _Inst) -> tuple[int, str]:
        rng = self.rng
        if x.kind == "medical":
            if rng.random() < 0.7:
                yuan, what = min(6000.0, 60 + rng.lognormvariate(5.6, 0.8)), "工伤门诊"
            else:
                yuan, what = min(150000.0, 1500 + rng.lognormvariate(9.3, 0.7)), \
                    rng.choice(("工伤住院", "工伤手术", "工伤住院复查"))
        elif x.kind == "rehab":
            yuan, what = min(60000.0, 800 + rng.lognormvariate(8.6, 0.6)), \
                rng.choice(("工伤康复住院", "康复训练", "作业治疗", "物理治疗"))
        else:
            mu, what = {"prosthetic_orthotic": (9.6, "假肢矫形器装配"),
                        "hearing_aid": (8.5, "助听器验配"),
                        "optical_aid": (7.4, "助视器配置"),
                        "artificial_eye": (7.9, "义眼定制")}[x.subtype or ""]
            yuan = min(120000.0, 200 + rng.lognormvariate(mu, 0.5))
        return int(yuan * 100), what

    def _claim_month(self, x: _Inst, month: date, candidates: list[Agreement]):
        rng = self.rng
        nxt = add_months(month, 1)
        if x.networked:
            day = nxt + self.days(0, 9)
        else:
            day = nxt + (self.days(0, 4) if rng.random() < 0.92 else self.days(5, 11))
        yield day
        key = f"{month.year:04d}-{month.month:02d}"
        dim = _days_in_month(month)
        low, high, mode = ITEMS_PER_CLAIM
        n = min(high, int(rng.triangular(low, high + 1, mode)))
        service_days = sorted(rng.randint(1, dim) for _ in range(n))
        by_agreement: dict[str, list[dict[str, Any]]] = {}
        for k, d in enumerate(service_days, 1):
            served = month.replace(day=d)
            ag = next((a for a in candidates if a.settles_on(served)[0]), None)
            if ag is None:
                continue
            amount, what = self._amount(x)
            injury = rng.random() >= NON_INJURY
            practitioner = None
            if rng.random() < WITH_PRACTITIONER:
                pid = rng.choice(x.practitioners)[0]
                if pid not in x.barred or \
                        self.by_id[Person.id_for(pid)].barred_on(served) is None:
                    practitioner = pid
            by_agreement.setdefault(ag.number, []).append({
                "item_id": f"{key.replace('-', '')}-{k:03d}", "amount_fen": amount,
                "service_date": served, "injury": injury, "practitioner_id": practitioner,
                "description": what if injury else rng.choice(("非工伤门诊", "非工伤住院",
                                                               "基础疾病用药"))})
        for ag in sorted(candidates, key=lambda a: self.listing[a.number]):
            items = by_agreement.get(ag.number)
            if not items:
                continue
            if not any(i["injury"] for i in items):
                items[0]["injury"] = True
            self.do("submit_claim", day, self.who(x.agency, "finance"), agreement=ag.number,
                    month=key, items=items)
            self.spawn(self._review(x, ag.number, key, day))

    def _pay_day(self, pay_by: date, approved_on: date) -> date:
        """The 20th-26th of the month the payment is due: the 26th is late (PAY-06)."""
        if self.rng.random() < LATE_PAYMENT:
            day = pay_by + ONE_DAY
        else:
            day = pay_by - self.days(0, 5)
        return max(day, approved_on + self.days(1, 3))

    def _review(self, x: _Inst, number: str, month: str, day: date):
        rng = self.rng
        claim = self.claim(number, month)
        fin = self.who(x.agency, "finance")
        day += self.days(1, 6)
        yield day
        self.do("draw_sample", day, fin, agreement=number, month=month, seed=None)
        sampled = list(claim.sample["items"])
        day += self.days(0, 2)
        yield day
        for item_id in sampled:
            noncompliant, reason = 0, ""
            if rng.random() < NONCOMPLIANT:
                amount = claim.items[item_id]["amount_fen"]
                noncompliant = max(1, int(amount * rng.uniform(0.03, 0.3)))
                reason = rng.choice(NONCOMPLIANT_REASONS)
            self.do("review_sampled_item", day, fin, agreement=number, month=month,
                    item_id=item_id, noncompliant_fen=noncompliant, reason=reason)
        others = [i for i, row in claim.items.items()
                  if row["status"] == "pending" and i not in sampled]
        held = None
        if len(others) >= 3 and rng.random() < HOLD:
            held = rng.choice(others)
            others.remove(held)
            hold = "medical_dispute" if rng.random() < 0.6 else "investigation"
            self.do("hold_claim_item", day, fin, agreement=number, month=month, item_id=held,
                    hold=hold,
                    ref=f"{'医疗纠纷' if hold == 'medical_dispute' else '稽核'}-{number}-{month}")
        if len(others) >= 2 and rng.random() < QUERY:
            q = rng.choice(others)
            self.do("query_claim_item", day, fin, agreement=number, month=month, item_id=q,
                    question=rng.choice(("请说明该项检查的必要性", "请提供住院医嘱及费用清单",
                                         "请说明与工伤部位的关联")))
            explain_by = claim.items[q]["query"]["explain_by"]
            r = rng.random()
            if r < 0.9:
                day = min(day + self.days(1, 4), explain_by)
                yield day
                self.do("record_explanation", day, fin, agreement=number, month=month,
                        item_id=q, accepted=r < 0.65)
            else:
                day = explain_by + self.days(1, 3)
                yield day
                self.do("refuse_unexplained_item", day, fin, agreement=number, month=month,
                        item_id=q)
        day += self.days(1, 5)
        yield day
        if self._payable(claim):
            self.do("approve_claim", day, fin, agreement=number, month=month)
            batch = claim.batches[-1]
            day = self._pay_day(batch["pay_by"], day)
            yield day
            self.do("pay_claim", day, fin, agreement=number, month=month,
                    batch=batch["batch"], ref=self._payment_ref(x, number, month, batch))
        if held is not None:
            day += self.days(15, 70)
            yield day
            dispute = claim.items[held]["hold"]["kind"] == "medical_dispute"
            self.do("release_claim_item", day, fin, agreement=number, month=month,
                    item_id=held, medical_accident=(rng.random() < 0.3) if dispute else None)
            if self._payable(claim):
                day += self.days(1, 5)
                yield day
                self.do("approve_claim", day, fin, agreement=number, month=month)
                batch = claim.batches[-1]
                day = self._pay_day(batch["pay_by"], day)
                yield day
                self.do("pay_claim", day, fin, agreement=number, month=month,
                        batch=batch["batch"], ref=self._payment_ref(x, number, month, batch))
        # A settled claim is never looked up again: let it go.
        self.by_id.pop(claim.id, None)

    @staticmethod
    def _payment_ref(x: _Inst, number: str, month: str, batch: dict[str, Any]) -> str:
        return f"社银直发-{x.agency}-{month.replace('-', '')}-{number[-4:]}-{batch['batch']}"

    @staticmethod
    def _payable(claim: Claim) -> bool:
        return any(row["status"] == "pending" for row in claim.items.values()) or \
            any(d["batch"] is None for d in claim.deductions)

    def _score(self, x: _Inst) -> Decimal:
        rng = self.rng
        score = 72 + 26 * x.quality + rng.gauss(0, 3)
        if rng.random() < 0.05:
            score -= rng.uniform(8, 25)   # a bad year
        return Decimal(round(min(100.0, max(40.0, score)) * 2)) / 2

    def _assess(self, x: _Inst, number: str, y: int):
        rng = self.rng
        day = date(y + 1, 1, 8) + self.days(0, 42)
        yield day
        ag = self.agreement(number)
        if ag.took_effect_on is None or ag.took_effect_on.year > y \
                or not ag.term_start.year <= y <= ag.term_end.year:
            return
        form = f6_form_for(x.kind)
        target = self._score(x)
        veto = ["V1"] if rng.random() < 0.002 else []
        survey = None
        items = [it for it in form.items_for(x.kind) if it.code != "5"]
        if x.kind == "assistive":
            survey = {code: max(allowed) if rng.random() < 0.8 else rng.choice(sorted(allowed))
                      for code, allowed in SURVEY_ALLOWED.items()}
            total_survey = sum(survey.values(), Decimal(0))
            deduct = max(Decimal(0), Decimal(80) + total_survey - target)
        else:
            deduct = Decimal(100) - target
        deduct = min(deduct, sum((it.max_points for it in items), Decimal(0)))
        employer = f"{CITY[x.agency]}{rng.choice(BRANDS)}{rng.choice(EMPLOYERS)}"
        self.do("record_assessment", day, self.who(x.agency, "case_officer"),
                document=f"F6-{number}-{y}", agreement=number, year=y,
                deductions=self._deductions(items, deduct, F6_REASONS), awarded={},
                veto_failed=veto, survey=survey,
                employer_views=[f"{employer}：" + rng.choice(("服务及时，结算规范", "住院床位紧张",
                                                              "康复效果较好", "希望缩短结算周期"))],
                supervisor_views=["社会监督员：" + rng.choice(("未收到投诉", "收到投诉1件，已核实处理",
                                                                "收费公示清晰"))],
                satisfaction=f"工伤职工满意度 {rng.randint(78, 99)}%")
        if rng.random() < 0.95:
            day = max(day + self.days(3, 20), date(y + 1, 2, 6) + self.days(0, 40))
        else:   # late (DEP-02)
            day = date(y + 1, 4, 1) + self.days(0, 20)
        yield day
        self.do("clear_deposit", day, self.who(x.agency, "finance"), agreement=number, year=y,
                ref=self.no(("BZJ", x.agency, day.year),
                            f"保证金返还-{x.agency}-{day.year}-{{:05d}}"))


def _copy(value: Any) -> Any:
    """Events keep what they are given: every command gets its own copy."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def generate(seed: int, institutions: int = 1000, years: int = 10, start_year: int = 2016,
             *, command_records: bool = False) -> Iterator[list[DomainEvent]]:
    """Yield the province's domain events, one list per calendar month, in the
    order the ledger would store them. ``command_records`` adds the
    ``CommandRecord.Handled`` event each real command also stores (off by
    default: about half again as many events)."""
    yield from _Province(seed, institutions, years, start_year, command_records).run()


def load(ledger: Ledger, batches: Iterable[list[DomainEvent]],
         batch_events: int = 20000) -> dict[str, Any]:
    """Write the events with ``ledger.events.put`` (each call maps them to
    stored events and inserts them atomically), about ``batch_events`` at a time."""
    put = ledger.events.put
    total = 0
    chunk: list[DomainEvent] = []
    started = time.perf_counter()
    for batch in batches:
        chunk.extend(batch)
        if len(chunk) >= batch_events:
            for i in range(0, len(chunk) - batch_events + 1, batch_events):
                put(chunk[i:i + batch_events])
                total += batch_events
            chunk = chunk[len(chunk) - len(chunk) % batch_events:]
    if chunk:
        put(chunk)
        total += len(chunk)
    seconds = time.perf_counter() - started
    return {"events": total, "seconds": round(seconds, 3),
            "events_per_second": round(total / seconds) if seconds else 0}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of an empty store")
    parser.add_argument("--schema", default=None, help="PostgreSQL schema (created if missing)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--institutions", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--start-year", type=int, default=2016)
    parser.add_argument("--batch-events", type=int, default=20000)
    parser.add_argument("--command-records", action="store_true",
                        help="also write the CommandRecord event of every command")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="skip the Registry snapshot taken after the load")
    args = parser.parse_args(argv)

    from adapters.settings import database_url, open_ledger

    started = time.perf_counter()
    batches = list(generate(args.seed, args.institutions, args.years, args.start_year,
                            command_records=args.command_records))
    gen_seconds = time.perf_counter() - started
    count = sum(len(b) for b in batches)
    kinds: dict[str, int] = {}
    for b in batches:
        for e in b:
            name = type(e).__qualname__
            kinds[name] = kinds.get(name, 0) + 1
    print(f"generated {count:,} events in {len(batches)} monthly batches "
          f"in {gen_seconds:.1f} s ({count / gen_seconds:,.0f} events/s); "
          f"peak RSS {_peak_rss_mb():,.0f} MB")
    for name, k in sorted(kinds.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {k:>9,}  {name}")

    url = database_url(args.db)
    if args.schema and url.startswith("postgresql"):
        import sqlalchemy as sa
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{args.schema}"'))
        engine.dispose()
    ledger = open_ledger(url, args.schema)
    try:
        if ledger.recorder.max_notification_id() is not None:
            print("the store is not empty: give an empty database (or a fresh schema)",
                  file=sys.stderr)
            return 2
        result = load(ledger, batches, args.batch_events)
        print(f"loaded {result['events']:,} events in {result['seconds']:.1f} s: "
              f"{result['events_per_second']:,} events/s "
              f"(chunks of {args.batch_events:,}); peak RSS {_peak_rss_mb():,.0f} MB")
        if not args.no_snapshot and ledger.snapshots is not None:
            t = time.perf_counter()
            ledger.take_snapshot(Registry.ID)
            print(f"Registry snapshot (the live ledger takes one every 100 versions) in "
                  f"{time.perf_counter() - t:.1f} s")
    finally:
        ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
