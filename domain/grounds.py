"""Statutory and contractual grounds, as the project's own data.

The catalogues below are transcribed from 晋人社厅发〔2022〕55号
《山西省工伤保险协议服务机构管理暂行办法》 (M) and its annexes 3-5: the
medical service agreement 医疗服务协议 (MA), the rehabilitation service
agreement 康复服务协议 (RA) and the assistive-device agreement
辅助器具配置服务协议 (DA). The ledger never reads the source texts at run time;
commands cite a ground by its ``code`` and the ledger looks it up here.

Codes are stable: ``M11-4`` is M 11 item (4), ``MA44-3`` is MA 44 item (3).
Article numbers were checked against the seed text: MA 42-44, RA 34-36 and
DA 35-37 are the breach and ending clauses, as the rule catalogue says.

``sanction`` is a comma-separated list of the measures the clause names, in
its own order, from this vocabulary:

    interview       约谈
    rectify         限期整改 / 限期改正 / 提出限期整改意见
    remind          提醒
    notify          通报
    defer_payment   暂缓支付 / 暂停拨付
    refuse_payment  不予支付 / 拒付费用
    refund          乙方主动退回 / 对已支付的费用予以退回
    suspend         暂停协议 / 中止服务协议
    deposit_50      扣除50%履约质量保证金
    deposit_all     扣除全部履约质量保证金
    recover_loss    责令在规定时间内退还损失的基金
    terminate       解除服务协议

``is_breach`` only has meaning for endings (TERMINATION_GROUNDS and
NON_BREACH_ENDINGS): it says whether the ending counts as an agreement
"因违约违规被经办机构解除" (M 11(4)) / "因违法违规被解除" (M 11(5)), i.e.
whether it bars the institution (3 years) and its sister institutions
(1 year) from applying (ADM-03). It is False for every non-ending ground.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "StatutoryGround", "AGREEMENT_TYPES", "APPLICATION_BARS",
    "MANDATORY_SUSPENSION_GROUNDS", "TERMINATION_GROUNDS", "NON_BREACH_ENDINGS",
    "BREACH_CLAUSES", "ALL_GROUNDS", "ENDINGS", "ground", "grounds_for_rule",
]


@dataclass(frozen=True)
class StatutoryGround:
    code: str          # stable id used in commands, e.g. "M11-1", "M39-6", "MA44-3"
    article: str       # human citation, e.g. "M 11(1)", "MA 44(3)"
    rule: str          # catalogue rule id it belongs to: ADM-03, SUS-03, TER-01, SUS-06 ...
    text_zh: str       # the Chinese text of the item (verbatim or lightly abridged)
    text_en: str       # short English rendering
    bar_years: int | None = None  # ADM-03: years it bars; None = "while it lasts"
    is_breach: bool = False       # endings only: counts as ended for breach/violation
    sanction: str = ""            # comma-separated measures the clause names

    @property
    def sanctions(self) -> tuple[str, ...]:
        """The ``sanction`` field split into its measures."""
        return tuple(s for s in self.sanction.split(",") if s)


# AGR-04: the agreement type matches the institution kind.
AGREEMENT_TYPES = {"medical": "MA", "rehab": "RA", "assistive": "DA"}


def _g(code: str, article: str, rule: str, zh: str, en: str, **kw: object) -> StatutoryGround:
    return StatutoryGround(code, article, rule, zh, en, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# ADM-03 — M 11: 有下列情形之一的不得申请签订服务协议
# bar_years: how long the fact bars, counted from the day after the event
# (CAL-05); None means "barred while the state lasts" (it lifts on a recorded
# date, or never lifts by time alone).
# ---------------------------------------------------------------------------
APPLICATION_BARS: tuple[StatutoryGround, ...] = (
    _g("M11-1", "M 11(1)", "ADM-03",
       "法定代表人、主要负责人或实际控制人被列入失信人名单的",
       "legal representative, principal or actual controller is on a dishonesty list "
       "(barred while listed)"),
    _g("M11-2", "M 11(2)", "ADM-03",
       "以弄虚作假等不正当手段申请，自发现之日起未满3年的",
       "applied by fraud or other improper means: 3 years from discovery",
       bar_years=3),
    _g("M11-3", "M 11(3)", "ADM-03",
       "发生重大医疗及质量安全事件，未满3年的",
       "a major medical or quality-safety incident occurred: 3 years from the incident",
       bar_years=3),
    _g("M11-4", "M 11(4)", "ADM-03",
       "同一法定代表人或投资主体的多家医疗或辅助器具配置机构，只要有一家医疗或辅助器具配置"
       "机构因违约违规被经办机构解除服务协议未满1年的",
       "an institution with the same legal representative or investor had its agreement "
       "ended by the agency for breach or violation: 1 year from that ending",
       bar_years=1),
    _g("M11-5", "M 11(5)", "ADM-03",
       "因违法违规被解除服务协议未满3年或已满3年但未完全履行行政处罚法律责任的",
       "own agreement ended for violations: 3 years from the ending, and afterwards "
       "while the administrative penalty is not fully carried out",
       bar_years=3),
    _g("M11-6", "M 11(6)", "ADM-03",
       "存在违规违法行为，有关部门正在进行调查或作出行政处罚的",
       "under investigation, or administrative penalty proceedings open "
       "(barred while they last)"),
    _g("M11-7", "M 11(7)", "ADM-03",
       "未按社会保险政策规定参加社会保险，或未及时足额缴纳社会保险费的",
       "social insurance not joined, or contributions not paid in full and on time "
       "(barred while it lasts)"),
    _g("M11-8", "M 11(8)", "ADM-03",
       "法律法规规定的其他不予受理的情形",
       "other grounds for non-acceptance set by laws and regulations "
       "(barred while it lasts)"),
)

# ---------------------------------------------------------------------------
# SUS-03 — M 38: 协议机构有下列情形之一的，经办机构应中止服务协议
# ---------------------------------------------------------------------------
MANDATORY_SUSPENSION_GROUNDS: tuple[StatutoryGround, ...] = (
    _g("M38-1", "M 38(1)", "SUS-03",
       "根据日常检查和绩效考核，发现对工伤保险基金安全和参保人员权益可能造成重大风险的",
       "inspection or performance assessment found a possible major risk to the fund "
       "or to insured people", sanction="suspend"),
    _g("M38-2", "M 38(2)", "SUS-03",
       "未按规定向经办机构及工伤行政部门提供有关数据或提供数据不真实的",
       "required data not provided to the agency or department, or data untrue",
       sanction="suspend"),
    _g("M38-3", "M 38(3)", "SUS-03",
       "根据协议约定应当中止服务协议的",
       "the agreement provides for suspension (e.g. MA 42-43, RA 34-35, DA 36)",
       sanction="suspend"),
    _g("M38-4", "M 38(4)", "SUS-03",
       "法律法规和规章规定的应当中止的其他情形",
       "other suspension grounds set by laws, regulations and rules",
       sanction="suspend"),
)

# ---------------------------------------------------------------------------
# TER-01 — M 39 (经办机构应解除服务协议) and the agreements' own ending
# clauses MA 44 and RA 36 (一律解除服务协议) and DA 37 (甲方可以解除协议).
# is_breach: see the module docstring. Comments mark the borderline items.
# ---------------------------------------------------------------------------
_M39 = "terminate"
_M39_GROUNDS: tuple[StatutoryGround, ...] = (
    # Counts only agency-imposed suspensions (M 38, M 45, M 18, agreement
    # clauses), never voluntary ones under M 37 ¶2: docs/interpretation.md TER-02.
    _g("M39-1", "M 39(1)", "TER-01",
       "协议有效期内累计2次及以上被中止服务协议或中止服务协议期间未按要求整改或整改不到位的",
       "suspended (by the agency) 2 or more times within the term, or rectification "
       "failed or fell short during a suspension",
       is_breach=True, sanction=_M39),
    _g("M39-2", "M 39(2)", "TER-01",
       "以弄虚作假等不正当手段申请取得资格的",
       "obtained its qualification by fraud or other improper means",
       is_breach=True, sanction=_M39),
    _g("M39-3", "M 39(3)", "TER-01",
       "经人力资源社会保障部门和其他有关部门查实有欺诈骗保行为的",
       "insurance fraud confirmed by the HRSS or other competent departments",
       is_breach=True, sanction=_M39),
    _g("M39-4", "M 39(4)", "TER-01",
       "为非协议机构或处于中止服务协议期间的协议机构提供工伤费用结算的",
       "settled work-injury costs for a non-agreement institution or one under suspension",
       is_breach=True, sanction=_M39),
    _g("M39-5", "M 39(5)", "TER-01",
       "拒绝、阻挠或不配合人力资源社会保障部门开展智能审核、监督检查等，情节恶劣的",
       "refused, obstructed or failed to cooperate with audits or inspections, seriously",
       is_breach=True, sanction=_M39),
    # Breach: the ground is the failure to register a change (M 35 duty), not
    # the change itself.
    _g("M39-6", "M 39(6)", "TER-01",
       "被发现重大信息发生变更但未办理重大信息变更的",
       "a major change of information found not registered",
       is_breach=True, sanction=_M39),
    # Borderline. Closing down is lawful; the ground is closing WITHOUT
    # reporting as required (未按规定…报告), which is a breach of a duty. A
    # reported closure ends the agreement under MA 48 / RA 40 / DA 42
    # (EARLY-NOTICE), which is not a breach.
    _g("M39-7", "M 39(7)", "TER-01",
       "服务机构停业或歇业后未按规定向经办机构报告的",
       "closed or suspended business without reporting to the agency as required",
       is_breach=True, sanction=_M39),
    _g("M39-8", "M 39(8)", "TER-01",
       "人力资源和社会保障行政部门或其他有关部门在行政执法中，发现协议机构存在重大违法违规行为"
       "且可能造成工伤保险基金重大损失的",
       "major violations found in administrative law enforcement that may cause the "
       "fund heavy loss",
       is_breach=True, sanction=_M39),
    # Borderline. 吊销 (revocation) is an administrative penalty for
    # violations. 注销 (cancellation) can follow a closure; but an institution
    # that closes lawfully ends its agreement first (MA 48 ¶1 / RA 40 / DA 42,
    # EARLY-NOTICE) or falls under M39-7, so a licence cancelled while the
    # agreement still runs is treated as a breach too.
    _g("M39-9", "M 39(9)", "TER-01",
       "被吊销、注销医疗机构执业许可证的",
       "practice licence revoked or cancelled",
       is_breach=True, sanction=_M39),
    # Borderline. "不能履行服务协议约定" (the people in charge cannot perform the
    # agreement) is non-performance of the agreement, i.e. 违约; "有违法失信行为"
    # is a violation. Both limbs count as breach.
    _g("M39-10", "M 39(10)", "TER-01",
       "法定代表人、主要负责人或实际控制人不能履行服务协议约定，或有违法失信行为的",
       "legal representative, principal or actual controller cannot perform the "
       "agreement, or broke the law or trust",
       is_breach=True, sanction=_M39),
    _g("M39-11", "M 39(11)", "TER-01",
       "未依法履行人力资源社会保障行政部门作出的行政处罚决定的",
       "did not carry out an administrative penalty decided by the HRSS department",
       is_breach=True, sanction=_M39),
    # Not a breach: the institution asked to end and the agency agreed. It is
    # "解除" but not "因违约违规被经办机构解除", so it bars nobody (TER-05).
    _g("M39-12", "M 39(12)", "TER-01",
       "协议机构主动提出解除服务协议且经办机构同意的",
       "the institution asked to end the agreement and the agency agreed",
       is_breach=False, sanction=_M39),
    # Breach: the agreements' ending clauses are all headed "违约违法行为"
    # (MA 44, RA 36) or list breaches (DA 37). Prefer the specific MA44-/RA36-/
    # DA37- code; M39-13 is the bridge citation when only the measures are cited.
    _g("M39-13", "M 39(13)", "TER-01",
       "根据服务协议约定应当解除协议的",
       "the agreement provides for ending it",
       is_breach=True, sanction=_M39),
    # Borderline. A law, regulation or rule that requires the agency to end an
    # agreement does so as a consequence of the institution's conduct; the
    # project counts it as a breach. An ending that is not for conduct must be
    # recorded under its own non-breach code, not under M39-14.
    _g("M39-14", "M 39(14)", "TER-01",
       "法律法规和规章规定的应当解除的其他情形",
       "other ending grounds set by laws, regulations and rules",
       is_breach=True, sanction=_M39),
)

# MA 44: 乙方发生以下违约违法行为的，一律解除服务协议，对已支付的费用予以退回
_MA44 = "terminate,refund"
_MA44_GROUNDS: tuple[StatutoryGround, ...] = (
    _g("MA44-1", "MA 44(1)", "TER-01",
       "通过伪造医疗文书、财务票据或凭证等方式，虚构医疗服务骗取工伤保险基金的",
       "fabricated medical services by forging records, invoices or vouchers to defraud "
       "the fund", is_breach=True, sanction=_MA44),
    _g("MA44-2", "MA 44(2)", "TER-01",
       "无正当理由拒绝、阻挠或不配合甲方开展必要监督检查的",
       "refused, obstructed or failed to cooperate with necessary inspections without "
       "good reason", is_breach=True, sanction=_MA44),
    # Same reading of "被暂停" as M39-1 (agency-imposed suspensions only).
    _g("MA44-3", "MA 44(3)", "TER-01",
       "协议有效期内，累计2次被暂停协议或暂停协议期间未按时要求整改或整改不到位的",
       "suspended (by the agency) twice within the term, or rectification late or "
       "insufficient during a suspension", is_breach=True, sanction=_MA44),
    _g("MA44-4", "MA 44(4)", "TER-01",
       "被吊销《医疗机构执业许可证》或《营业执照》的",
       "medical practice licence or business licence revoked",
       is_breach=True, sanction=_MA44),
    _g("MA44-5", "MA 44(5)", "TER-01",
       "其他造成严重后果或重大影响（媒体曝光、行业审计等）的违规行为",
       "other violations with serious consequences or major impact (media exposure, "
       "sector audit, etc.)", is_breach=True, sanction=_MA44),
)

# RA 36: 乙方发生以下违约违法行为的，一律解除服务协议，对已支付的费用予以退回
_RA36 = "terminate,refund"
_RA36_GROUNDS: tuple[StatutoryGround, ...] = (
    _g("RA36-1", "RA 36(1)", "TER-01",
       "通过伪造康复文书、财务票据或凭证等方式，虚构医疗服务、虚假费用、串换药品、诊疗项目或"
       "康复项目的",
       "forged rehab records, invoices or vouchers to fabricate services or costs, or "
       "swapped drugs, treatment or rehab items", is_breach=True, sanction=_RA36),
    # Borderline. Two medical accidents need not each be a wilful breach, but
    # RA 36 lists them among "违约违法行为" that end the agreement outright, so
    # the ending counts as one for breach.
    _g("RA36-2", "RA 36(2)", "TER-01",
       "协议有效期内，累计2次发生医疗事故的",
       "2 medical accidents within the agreement's term",
       is_breach=True, sanction=_RA36),
    _g("RA36-3", "RA 36(3)", "TER-01",
       "其他造成严重后果或重大影响（媒体曝光、行业审计等）的违规行为",
       "other violations with serious consequences or major impact (media exposure, "
       "sector audit, etc.)", is_breach=True, sanction=_RA36),
)

# DA 37: 有下列情形之一的，甲方可以解除协议，并扣除全部履约质量保证金；造成基金损失
# 的，责令其在规定时间内退还损失的基金 (discretionary: 可以解除)
_DA37 = "terminate,deposit_all,recover_loss"
_DA37_GROUNDS: tuple[StatutoryGround, ...] = (
    _g("DA37-1", "DA 37(1)", "TER-01",
       "限期整改期间没有进行有效整改的",
       "no effective rectification within the rectification period",
       is_breach=True, sanction=_DA37),
    _g("DA37-2", "DA 37(2)", "TER-01",
       "违反工伤保险政策规定，有虚报费用、返利行为或伪造虚假凭证、票据等骗取基金的",
       "false claims, kickbacks, or forged vouchers or invoices to defraud the fund",
       is_breach=True, sanction=_DA37),
    _g("DA37-3", "DA 37(3)", "TER-01",
       "未配置辅助器具而提供虚假单据的",
       "false documents for a device that was not fitted",
       is_breach=True, sanction=_DA37),
    _g("DA37-4", "DA 37(4)", "TER-01",
       "违反辅助器具配置管理服务标准，侵害工伤职工合法权益的",
       "broke the device-fitting service standards, harming injured workers' rights",
       is_breach=True, sanction=_DA37),
    # Breach: an administrative penalty presupposes a violation.
    _g("DA37-5", "DA 37(5)", "TER-01",
       "受到相关行政部门处罚的",
       "penalised by a competent administrative department",
       is_breach=True, sanction=_DA37),
    _g("DA37-6", "DA 37(6)", "TER-01",
       "被有关部门列为严重失信人员名单的",
       "put on a serious-dishonesty list by a competent department",
       is_breach=True, sanction=_DA37),
    _g("DA37-7", "DA 37(7)", "TER-01",
       "违反工伤保险规定的其他情形",
       "other breaches of work-injury insurance rules",
       is_breach=True, sanction=_DA37),
)

TERMINATION_GROUNDS: tuple[StatutoryGround, ...] = (
    _M39_GROUNDS + _MA44_GROUNDS + _RA36_GROUNDS + _DA37_GROUNDS
)

# ---------------------------------------------------------------------------
# Endings that are not breaches (TER-05): they do not bar a new application.
# ---------------------------------------------------------------------------
NON_BREACH_ENDINGS: tuple[StatutoryGround, ...] = (
    _g("EXPIRY", "M 36", "AGR-05",
       "未达成一致的，协议到期后自动终止",
       "renewal not agreed: the agreement ends on expiry"),
    _g("AUTO-SUS-180", "M 37 ¶2", "SUS-02",
       "协议机构在服务协议中止超过180日仍未提出继续履行服务协议申请的，原则上服务协议自动终止",
       "voluntary suspension exceeded 180 days without an application to resume: "
       "the agreement ends automatically (day 181)"),
    _g("AUTO-SUS-EXPIRY", "M 37 ¶1", "SUS-05",
       "中止期结束，超过服务协议有效期的，服务协议终止",
       "the suspension runs past the agreement's expiry: the agreement ends"),
    _g("EARLY-NOTICE", "MA 48 ¶2; RA 40 ¶2; DA 42 ¶2", "AGR-07",
       "甲乙双方因单方面原因需提前解除或终止协议的，必须提前30日书面通知对方，在此期间，双方应"
       "继续履行此协议",
       "either party ends early for its own reasons with 30 days' written notice; both "
       "keep performing meanwhile"),
    _g("RENEWED", "M 36", "AGR-05",
       "协商一致的，可续签服务协议，经确认公示后生效",
       "renewed: the successor agreement took effect and replaces this one"),
)

# ---------------------------------------------------------------------------
# SUS-06 — the agreements' breach clauses short of ending: a finding under
# one of these is recorded with its clause so the sanction is traceable.
# (DA 34 is a general clause without items — 提醒、通报、扣除履约质量保证金、
# 限期整改或者停止服务 — and is not catalogued as a ground.)
# ---------------------------------------------------------------------------
# MA 42: 乙方有下列情形之一但未造成工伤保险基金损失的，甲方可对乙方作出约谈、限期整改、暂停协议处理
_MA42 = "interview,rectify,suspend"
# MA 43: 甲方可对乙方予以暂缓支付或不予支付、暂停协议等处理，乙方主动退回已支付费用
_MA43 = "defer_payment,refuse_payment,suspend,refund"
# RA 34: 甲方可对乙方采取约谈、限期整改、暂停拨付、暂停协议等处理
_RA34 = "interview,rectify,defer_payment,suspend"
# RA 35: 甲方可对乙方予以拒付费用、暂缓支付或不予支付、暂停协议等处理
_RA35 = "refuse_payment,defer_payment,suspend"
# DA 35: 甲方可以对乙方采取提醒和通报，要求限期改正
_DA35 = "remind,notify,rectify"
# DA 36: 甲方暂停乙方服务协议，并扣除50%履约质量保证金，并提出限期整改意见 (mandatory)
_DA36 = "suspend,deposit_50,rectify"

BREACH_CLAUSES: tuple[StatutoryGround, ...] = (
    _g("MA42-1", "MA 42(1)", "SUS-06",
       "未按本协议要求落实管理措施，相关管理机构不健全的",
       "management measures not in place; management bodies incomplete", sanction=_MA42),
    _g("MA42-2", "MA 42(2)", "SUS-06",
       "未按甲方要求在规定时间内提供工伤职工的病历资料处方、治疗单（记录）和药品等资料的",
       "records, prescriptions, treatment sheets or drug data not supplied in time",
       sanction=_MA42),
    _g("MA42-3", "MA 42(3)", "SUS-06",
       "未按要求向甲方报告工伤职工在乙方就医发生医疗事故",
       "a medical accident to an injured worker not reported to the agency",
       sanction=_MA42),
    _g("MA42-4", "MA 42(4)", "SUS-06",
       "未及时处理工伤职工投诉和社会监督反映问题的",
       "complaints and social-supervision reports not handled in time", sanction=_MA42),
    _g("MA42-5", "MA 42(5)", "SUS-06",
       "未及时向甲方申报本单位基本信息变更的",
       "change of basic information not reported in time", sanction=_MA42),
    _g("MA42-6", "MA 42(6)", "SUS-06",
       "未按甲方要求使用信息系统或未及时、完整、准确上传信息数据的",
       "information system not used as required, or data not uploaded timely, "
       "completely and accurately", sanction=_MA42),
    _g("MA43-1", "MA 43(1)", "SUS-06",
       "不按规定核验工伤职工身份导致他人冒名顶替就医的；不按有关标准及规定安排工伤职工住院"
       "（含挂床住院、分解住院）、出院或转院的",
       "identity not checked so another person was treated in the worker's name; "
       "admission (incl. bed-blocking, split stays), discharge or transfer against the rules",
       sanction=_MA43),
    _g("MA43-2", "MA 43(2)", "SUS-06",
       "无正当理由拒绝为工伤职工提供相应医疗服务的；不严格执行诊疗常规和技术操作规程，或不根据"
       "病情进行治疗、用药、选择医用耗材的",
       "refused needed services without good reason; did not follow clinical routines "
       "or treat, prescribe or choose consumables by the condition", sanction=_MA43),
    _g("MA43-3", "MA 43(3)", "SUS-06",
       "将工伤保险支付范围外的药品、诊疗项目、医疗服务设施项目或生活用品、保健滋补品等费用串换"
       "为工伤保险政策范围内费用，套取工伤保险基金的",
       "swapped non-covered drugs, items or goods into covered costs to draw on the fund",
       sanction=_MA43),
    _g("MA43-4", "MA 43(4)", "SUS-06",
       "不按规定开药、出院带药、不按医嘱或处方为工伤职工提供检查、治疗及配药；发生重复、分解、"
       "过度、超限制范围等违规诊疗、检查行为导致增加费用的",
       "improper prescribing or discharge medication; repeated, split, excessive or "
       "out-of-scope treatment or tests raising costs", sanction=_MA43),
    _g("MA43-5", "MA 43(5)", "SUS-06",
       "将因医疗事故及治疗其后遗症产生的医疗费用进行工伤费用申报的",
       "claimed costs of a medical accident or its sequelae as work-injury costs",
       sanction=_MA43),
    _g("MA43-6", "MA 43(6)", "SUS-06",
       "通过诱导工伤职工自费、到院外购买药品、器械等方式增加工伤职工个人负担的",
       "raised the worker's own burden by inducing self-paid items or outside purchases",
       sanction=_MA43),
    _g("MA43-7", "MA 43(7)", "SUS-06",
       "在为工伤职工提供医疗服务过程中，出现严重差错或事故，或因违规受到卫生健康、市场监管、"
       "医保等部门行政处罚的",
       "serious error or accident in treatment, or penalised by health, market or "
       "medical-insurance regulators", sanction=_MA43),
    _g("MA43-8", "MA 43(8)", "SUS-06",
       "超出《医疗机构执业许可证》准许范围或执业地址开展医疗服务或将科室或房屋承包、出租给个人"
       "及其他机构，并以乙方名义开展医疗服务的",
       "practised beyond the licence's scope or address, or contracted out or let "
       "departments or premises operating in its name", sanction=_MA43),
    _g("MA43-9", "MA 43(9)", "SUS-06",
       "以工伤保险协议机构名义从事商业广告和促销活动，诱导医疗消费的",
       "advertised or promoted in the name of an agreement institution to induce "
       "medical consumption", sanction=_MA43),
    _g("MA43-10", "MA 43(10)", "SUS-06",
       "其他造成工伤保险基金损失的违约或违法行为",
       "other breaches or violations causing the fund a loss", sanction=_MA43),
    _g("RA34-1", "RA 34(1)", "SUS-06",
       "未按本协议要求落实管理措施，相关管理机构不健全的；不配合甲方开展康复费用审核或监督检查"
       "工作的",
       "management measures not in place or bodies incomplete; no cooperation with "
       "cost review or inspection", sanction=_RA34),
    _g("RA34-2", "RA 34(2)", "SUS-06",
       "未按甲方要求在规定时间内提供工伤职工的病历资料、处方、康复治疗单（记录）和药品等资料的",
       "records, prescriptions, rehab treatment sheets or drug data not supplied in time",
       sanction=_RA34),
    _g("RA34-3", "RA 34(3)", "SUS-06",
       "未按要求向甲方报告工伤职工在乙方就医发生医疗事故",
       "a medical accident to an injured worker not reported to the agency",
       sanction=_RA34),
    _g("RA34-4", "RA 34(4)", "SUS-06",
       "未及时处理工伤职工投诉和社会监督反映问题的",
       "complaints and social-supervision reports not handled in time", sanction=_RA34),
    _g("RA34-5", "RA 34(5)", "SUS-06",
       "未及时向甲方申报本单位基本信息变更的",
       "change of basic information not reported in time", sanction=_RA34),
    _g("RA34-6", "RA 34(6)", "SUS-06",
       "无正当理由拒绝为工伤职工提供相关康复服务的；不严格执行诊疗常规和操作规程或不根据伤情"
       "进行康复的",
       "refused rehab services without good reason; did not follow routines or treat "
       "by the injury", sanction=_RA34),
    _g("RA35-1", "RA 35(1)", "SUS-06",
       "不按规定核验工伤职工身份和康复申请资格，将不符合规定的康复费用纳入工伤保险基金支付"
       "范围的",
       "identity or rehab eligibility not checked; non-compliant rehab costs charged "
       "to the fund", sanction=_RA35),
    _g("RA35-2", "RA 35(2)", "SUS-06",
       "无正当理由拒绝为工伤职工提供相应康复服务的；不严格执行诊疗常规和技术操作规程，或不根据"
       "病情进行康复、用药、选择医用耗材的；不按有关标准及规定安排工伤职工住院和出院的",
       "refused services without good reason; did not follow routines or treat by the "
       "condition; admission or discharge against the rules", sanction=_RA35),
    _g("RA35-3", "RA 35(3)", "SUS-06",
       "将工伤保险支付范围外的康复项目、诊疗项目、药品、医疗范围设施项目或生活日用品、保健滋补品"
       "等费用串换为工伤保险政策范围内费用，套取工伤保险基金的",
       "swapped non-covered items or goods into covered costs to draw on the fund",
       sanction=_RA35),
    _g("RA35-4", "RA 35(4)", "SUS-06",
       "发生重复、分解、过度、超限制范围等违规康复、检查行为导致增加费用的",
       "repeated, split, excessive or out-of-scope rehab or tests raising costs",
       sanction=_RA35),
    _g("RA35-5", "RA 35(5)", "SUS-06",
       "将因医疗事故及治疗其后遗症产生的医疗费用进行工伤费用申报的",
       "claimed costs of a medical accident or its sequelae as work-injury costs",
       sanction=_RA35),
    _g("RA35-6", "RA 35(6)", "SUS-06",
       "在为工伤职工提供康复服务过程中，出现严重差错或事故，或因违规受到卫生健康、市场监管、"
       "医保等部门行政处罚的",
       "serious error or accident in rehab, or penalised by health, market or "
       "medical-insurance regulators", sanction=_RA35),
    _g("RA35-7", "RA 35(7)", "SUS-06",
       "超出《医疗机构执业许可证》准许范围或执业地址开展康复服务或将科室或房屋承包、出租给个人"
       "及其他机构，并以乙方名义开展康复服务的",
       "practised beyond the licence's scope or address, or contracted out or let "
       "departments or premises operating in its name", sanction=_RA35),
    _g("RA35-8", "RA 35(8)", "SUS-06",
       "其他造成工伤保险基金损失的违约或违法行为",
       "other breaches or violations causing the fund a loss", sanction=_RA35),
    _g("DA35-1", "DA 35(1)", "SUS-06",
       "未按要求建立工伤职工档案",
       "injured workers' files not kept as required", sanction=_DA35),
    _g("DA35-2", "DA 35(2)", "SUS-06",
       "未按甲方要求及时、准确、完整的提供相关资料",
       "materials not supplied timely, accurately and completely", sanction=_DA35),
    _g("DA35-3", "DA 35(3)", "SUS-06",
       "未按甲方要求进行打印标志",
       "devices not laser-marked as required", sanction=_DA35),
    _g("DA35-4", "DA 35(4)", "SUS-06",
       "乙方的法人代表、地址、账户等信息发生变化未在规定时间内向甲方提出变更事宜",
       "change of legal representative, address, account etc. not reported in time",
       sanction=_DA35),
    # DA 36's lead-in also covers "违反规定或不履行协议的有关条款" in general;
    # such a finding is recorded under the closest item or DA37-7 if it ends.
    _g("DA36-1", "DA 36(1)", "SUS-06",
       "因服务质量、产品质量不符合规定被投诉并查实的",
       "confirmed complaint about service or product quality", sanction=_DA36),
    _g("DA36-2", "DA 36(2)", "SUS-06",
       "不提供康复功能训练、售后服务的",
       "no functional training or after-sales service", sanction=_DA36),
    _g("DA36-3", "DA 36(3)", "SUS-06",
       "因不符合报销规定而造成工伤职工上访的",
       "non-compliance with reimbursement rules led workers to petition", sanction=_DA36),
    _g("DA36-4", "DA 36(4)", "SUS-06",
       "警告或约谈后仍未按要求改正的",
       "not corrected after a warning or interview", sanction=_DA36),
)

ENDINGS: tuple[StatutoryGround, ...] = TERMINATION_GROUNDS + NON_BREACH_ENDINGS

ALL_GROUNDS: tuple[StatutoryGround, ...] = (
    APPLICATION_BARS + MANDATORY_SUSPENSION_GROUNDS + TERMINATION_GROUNDS
    + NON_BREACH_ENDINGS + BREACH_CLAUSES
)

_BY_CODE: dict[str, StatutoryGround] = {g.code: g for g in ALL_GROUNDS}
if len(_BY_CODE) != len(ALL_GROUNDS):  # pragma: no cover - guards the data above
    raise RuntimeError("duplicate ground code in domain.grounds")


def ground(code: str) -> StatutoryGround:
    """The ground with this code; LookupError naming the valid codes otherwise."""
    try:
        return _BY_CODE[code]
    except (KeyError, TypeError):
        raise LookupError(f"unknown ground code {code!r}; valid codes: "
                          f"{', '.join(_BY_CODE)}") from None


def grounds_for_rule(rule: str) -> tuple[StatutoryGround, ...]:
    """Every catalogued ground that belongs to the rule id ``rule``."""
    return tuple(g for g in ALL_GROUNDS if g.rule == rule)
