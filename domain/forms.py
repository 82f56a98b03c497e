"""The scoring forms, as the ledger's own data (EVA-02, EVA-03, ASM-01..03).

One module, over 600 lines, because it is data: the forms transcribed item
by item, kept together so they can be read against the annexes.

Transcribed from the 2022 Shanxi measures: annex 2 (准入评估表, six admission
evaluation forms, "F2"), annex 6 (年度考核评分表, the annual assessment forms,
"F6") and the 工伤人员满意度及服务质量调查表 satisfaction survey that feeds the
assistive F6 form's item 5. The Chinese wording is the authority; the English
subjects are our short glosses. Nothing here reads the source at run time.

Notes on the transcription (the seed is the authority; the maxima and totals
agree throughout with the index of the forms the rule catalogue was written
from; docs/rules.md lists every item as held here):

* Item codes. The F2 forms number their sub-items (6.1, 7.2, ...) and those
  codes are used as printed. The artificial-eye F2 form prints three scored
  rows under item 6 (人员配置, 场地设置, 设施设备) with no sub-numbers; we call
  them "6", "6b" and "6c" (the codes docs/rules.md lists). The F6 forms number
  only their sections (1..5); the sub-item codes "1.1", "5.10" etc. are ours
  (the row order within each section).
* The F6 medical/rehab form gives no per-item deduction rule, only its notes
  (每项分值扣完为止); ``rule_zh`` there holds the assessed requirement (考核内容).
* Obvious typesetting slips in the seed are normalised in our text: "行爲" and
  the truncated "违法违规行，" read 行为; the stray English "and" in the rehab
  7.1 requirement reads 和; the doubled "线状镜、线状镜" in optical 8.1 is kept
  once.
* Internal quirks of the seed kept as printed: hearing-aid 8.1 is worth 7 but
  deducts 4 per missing device (so the second miss is clamped, 扣完为止);
  assistive F6 1.1 is worth 4 though its rule lists two 1-point deductions;
  assistive F6 4.6 is worth 6 and deducts 2 per upheld dispute.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

__all__ = [
    "VetoItem", "ScoredItem", "Form", "F2_FORMS", "F6_FORMS", "SURVEY",
    "f2_form_for", "f6_form_for", "ItemScore", "ScoreResult", "ScoreError",
    "UnknownForm", "score_items", "survey_to_assistive_item5", "PASS_MARK",
    "SURVEY_ALLOWED",
]

PASS_MARK = Decimal(90)  # EVA-04: 得分90分以上的为合格 (also used for ASM bands)
_CENT = Decimal("0.01")


# --------------------------------------------------------------------------- #
# The shape of a form
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class VetoItem:
    """A 单项否决 / 一票否决 item: pass or fail, no points."""

    code: str
    subject_en: str
    subject_zh: str
    requirement_zh: str


@dataclass(frozen=True)
class ScoredItem:
    """One scored row: its maximum and the deduction rule as printed.

    ``applies_to`` is empty when the item applies to every institution that
    uses the form; on the shared F6 medical/rehab form it names the kinds
    ({"medical"}, {"rehab"} or both)."""

    code: str
    section_zh: str
    subject_en: str
    subject_zh: str
    max_points: Decimal
    rule_zh: str
    applies_to: frozenset[str] = frozenset()

    def applies(self, kind: str | None) -> bool:
        return not self.applies_to or kind in self.applies_to


class UnknownForm(LookupError):
    """No form for the kind/subtype asked (EVA-02 / ASM-01)."""

    def __init__(self, message: str, *, rule: str, remedy: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.remedy = remedy

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Form:
    form_id: str
    title_zh: str
    kind: str
    subtype: str | None
    veto_items: tuple[VetoItem, ...]
    items: tuple[ScoredItem, ...]

    @property
    def is_annual(self) -> bool:
        """True for the F6 annual-assessment forms and the survey (ASM rules)."""
        return self.form_id.startswith("F6")

    @property
    def kinds(self) -> tuple[str, ...]:
        """The institution kinds this form serves."""
        named = sorted({k for it in self.items for k in it.applies_to})
        return tuple(named) if named else (self.kind,)

    @property
    def shared(self) -> bool:
        return any(it.applies_to for it in self.items)

    def item(self, code: str) -> ScoredItem:
        for it in self.items:
            if it.code == code:
                return it
        raise LookupError(f"form {self.form_id} has no item {code!r}; "
                          f"valid codes: {', '.join(it.code for it in self.items)}")

    def veto(self, code: str) -> VetoItem:
        for v in self.veto_items:
            if v.code == code:
                return v
        raise LookupError(f"form {self.form_id} has no veto item {code!r}; "
                          f"valid veto codes: {', '.join(v.code for v in self.veto_items) or 'none'}")

    def _check_kind(self, kind: str | None) -> None:
        if self.shared:
            if kind not in self.kinds:
                raise LookupError(f"form {self.form_id} is shared: name the kind, one of "
                                  f"{', '.join(self.kinds)} (got {kind!r})")
        elif kind is not None and kind != self.kind:
            raise LookupError(f"form {self.form_id} is for kind {self.kind!r}, not {kind!r}")

    def items_for(self, kind: str | None = None) -> tuple[ScoredItem, ...]:
        """The items that apply to an institution of ``kind`` (ASM-01: the F6
        medical/rehab form leaves some items to one kind only)."""
        self._check_kind(kind)
        return tuple(it for it in self.items if it.applies(kind))

    def max_total(self, kind: str | None = None) -> Decimal:
        return sum((it.max_points for it in self.items_for(kind)), Decimal(0))


@dataclass(frozen=True)
class ItemScore:
    code: str
    points: Decimal
    deductions: tuple[tuple[Decimal, str], ...] = ()


@dataclass(frozen=True)
class ScoreResult:
    form_id: str
    total: Decimal
    veto_failed: tuple[str, ...]
    item_points: dict[str, Decimal]
    passed_points: bool


class ScoreError(ValueError):
    """A score sheet the form does not allow. Carries the rule and a remedy."""

    def __init__(self, message: str, *, rule: str, remedy: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.remedy = remedy


# --------------------------------------------------------------------------- #
# Building blocks for the data
# --------------------------------------------------------------------------- #
def _i(code: str, section: str, en: str, zh: str, points: int, rule: str,
       applies: Iterable[str] = ()) -> ScoredItem:
    return ScoredItem(code=code, section_zh=section, subject_en=en, subject_zh=zh,
                      max_points=Decimal(points), rule_zh=rule,
                      applies_to=frozenset(applies))


def _v(code: str, en: str, zh: str, requirement: str) -> VetoItem:
    return VetoItem(code=code, subject_en=en, subject_zh=zh, requirement_zh=requirement)


_V2_MED = "建立健全内部管理制度，执行国家规定技术规范，明确专门的部门并配备专（兼）职管理人员。"
_V3_MED = "近3个月内未发生重大质量安全事件，无严重违法违规行为，信誉良好。"
_V5 = "按规定参加社会保险。"

_VETO_MEDICAL = (
    _v("V1", "qualification", "机构资质",
       "经卫生及中医药行政部门批准并取得《医疗机构执业许可证》的医疗机构，以及经地方卫生"
       "行政部门同意对社会提供服务的军队医疗机构。"),
    _v("V2", "management rules", "管理制度", _V2_MED),
    _v("V3", "safety and reputation (no major incident in the last 3 months)", "安全信誉",
       _V3_MED),
    _v("V4", "information system linked to the work-injury insurance system", "信息化",
       "具备完善的管理信息系统，并按规定与工伤保险信息系统对接，能够为工伤职工提供相关服务。"),
    _v("V5", "enrolled in social insurance", "社会保险", _V5),
)

_VETO_REHAB = (
    _v("V1", "qualification (level-2 rehab specialty or level-3 general hospital)", "机构资质",
       "经卫生及中医药行政部门批准并取得《医疗机构执业许可证》的医疗机构，以及经地方卫生"
       "行政部门同意对社会提供服务的军队医疗机构，具备二级以上康复专科机构条件或者三级综合"
       "医疗机构资质。"),
    _v("V2", "management rules", "管理制度", _V2_MED),
    _v("V3", "safety and reputation (no major incident in the last 3 months)", "安全信誉",
       _V3_MED),
    _v("V4", "hospital information system linked to the work-injury insurance system",
       "信息化",
       "具备完善的医院信息系统，并按规定与工伤保险信息系统对接，能够为工伤职工提供就医管理、"
       "工伤医疗费联网结算、待遇查询等服务。"),
    _v("V5", "enrolled in social insurance", "社会保险", _V5),
)

_VETO_ASSISTIVE = (
    _v("V1", "qualification (3+ months in business, stable site)", "机构资质",
       "辅具器具配置单位提供相关的资质，应符合行业主管部门相关标准或市场监督管理部门许可的"
       "辅助器具适配营业范围，开展相关业务3个月以上，并有稳定的执业场所。"),
    _v("V2", "management rules", "管理制度",
       "建立健全内部管理制度，执行国家规定或认可的技术操作规程，明确专门的部门并配备专（兼）"
       "职管理人员。"),
    _v("V3", "safety and reputation (no major incident in the last 3 months)", "安全信誉",
       "近3个月内未发生重大质量安全事件，无违法违规行为，信誉良好。"),
    _v("V4", "information system linked to the work-injury insurance system", "信息化",
       "具备完善的管理信息系统，并按规定与工伤保险信息系统对接，能够为工伤职工提供辅具配置费"
       "联网结算等服务。"),
    _v("V5", "enrolled in social insurance", "社会保险", _V5),
)

_CONSENT_ASSISTIVE = "建立辅助器具配置知情同意制度。随机抽查，每个1分。"

# --------------------------------------------------------------------------- #
# F2 admission evaluation forms (附件2 准入评估表)
# --------------------------------------------------------------------------- #
_F2_MEDICAL = Form(
    form_id="F2-medical",
    title_zh="山西省工伤保险医疗协议服务机构准入评估表",
    kind="medical", subtype=None, veto_items=_VETO_MEDICAL,
    items=(
        _i("6", "人室配置", "departments, beds and doctor-nurse ratio", "人室配置", 20,
           "科室设置不符合要求扣15分；床位与医护比不达标，扣5分。"),
        _i("7", "药耗保障", "drug and consumable supply (>= 80% of listed drugs stocked)",
           "药耗保障", 15,
           "药品、医用耗材购进渠道不合法或无合法票据，扣5分；备药率不达标，扣5分；不能提供购进"
           "药品、一次性耗材的合法票据、药品目录清单、一次性耗材清单，扣5分。"),
        _i("8", "药耗管理", "drug and consumable management system", "药耗管理", 25,
           "未使用药品耗材信息管理系统，扣15分；药品耗材进、销、存信息记载不符合规定扣10分。"),
        _i("9", "医疗设备", "medical equipment and technicians", "医疗设备", 25,
           "诊疗设备、大型检验设备清单与设备实际情况不符，扣10分；医技人员相关资质不符合的，"
           "扣15分。"),
        _i("10", "知情同意制度", "informed consent, daily bills and discharge statement",
           "知情同意制度", 15,
           "提供日清单及出院结算明细单；建立自费项目知情同意制度。随机抽查，每缺一项扣5分。"),
    ),
)

_F2_REHAB = Form(
    form_id="F2-rehab",
    title_zh="山西省工伤保险康复协议服务机构准入评估表",
    kind="rehab", subtype=None, veto_items=_VETO_REHAB,
    items=(
        _i("6.1", "人员配置及诊疗技术",
           ">= 10 rehab doctors (>= 4 senior) and >= 20 trained therapists",
           "康复医师10名以上（副高以上不低于4人）、康复治疗师20名以上", 15,
           "副高以上职称康复医师每少一人扣1分，其他康复医师每少一人扣0.5分，康复治疗师每少一人"
           "扣0.25分，扣完为止。"),
        _i("6.2", "人员配置及诊疗技术", "treatment techniques for the nine disease groups",
           "九大病种诊疗技术", 10, "每少一项诊疗技术扣2分，扣完为止。"),
        _i("6.3", "人员配置及诊疗技术", "assessment, PT, OT, ST and other techniques",
           "康复评定、PT、OT、ST等技术", 10, "每少一项技术扣2分，扣完为止。"),
        _i("7.1", "场地设置",
           ">= 800 m2 rehab space with separate assessment, treatment and fitting rooms",
           "康复业务用房800㎡以上及独立功能室", 15,
           "康复业务用房面积不足800㎡的扣9分，无独立的康复功能评定室、康复治疗室和康复支具安装室"
           "的每少一项扣2分。"),
        _i("7.2", "场地设置", "rehab ward with >= 50 beds", "康复病房50张床位以上", 10,
           "不够50张病床的，每少1张扣1分，扣完为止。"),
        _i("8.1", "设施设备", "neuro-rehab area equipment", "神经康复区", 10,
           "无此区域扣10分，每少一项系统设施扣2分，扣完为止。"),
        _i("8.2", "设施设备", "orthopaedic rehab area equipment", "骨伤康复区", 10,
           "无此区域扣10分，每少一项系统设施扣2分，扣完为止。"),
        _i("8.3", "设施设备", "burn rehab area equipment", "烧伤康复区", 10,
           "无此区域扣10分，每少一项系统设施扣2分，扣完为止。"),
        _i("8.4", "设施设备", "occupational rehab area (>= 3 work stations)", "职业康复区", 5,
           "无此区域扣5分，无职业能力评估系统扣2分，每少1个工作站扣1分，扣完为止。"),
        _i("9", "知情同意制度", "informed consent, daily bills and discharge statement",
           "知情同意制度", 5,
           "提供日清单及出院结算明细；建立自费项目知情同意制度。随机抽查，每个1分。"),
    ),
)

_F2_PROSTHETIC = Form(
    form_id="F2-assistive-prosthetic_orthotic",
    title_zh="山西省工伤保险辅助器具配置协议服务机构准入评估表（假肢矫形器配置机构）",
    kind="assistive", subtype="prosthetic_orthotic", veto_items=_VETO_ASSISTIVE,
    items=(
        _i("6.1", "人员配置", "certified prosthetist and orthotist, one each",
           "假肢师、矫形器师各1名", 20, "缺假肢师扣10分，缺矫形器师扣10分。"),
        _i("6.2", "人员配置", "prosthesis and orthosis fitters, one each",
           "假肢、矫形器装配工各1名", 10, "缺假肢装配工扣5分，缺矫形器装配工扣5分。"),
        _i("6.3", "人员配置", "rehab therapist and licensed rehab doctor, one each",
           "康复治疗师、执业康复医师各1名", 10, "缺康复治疗师扣5分，缺执业康复医师扣5分。"),
        _i("7.1", "场地设置", "business space of 200 m2 or more", "业务用房200㎡以上", 6,
           "大于等于200㎡得6分，大于150㎡小于200㎡得3分，小于150㎡不得分。"),
        _i("7.2", "场地设置",
           "separate rooms (assessment >= 30 m2, casting, ..., training >= 50 m2)",
           "独立设置评估室、取型室、训练室等", 6, "有一项不符合扣1分，扣完为止。"),
        _i("7.3", "场地设置", "labour protection and environmental rules", "劳动保护及环保",
           2, "不符合不得分。"),
        _i("7.4", "场地设置", "barrier-free access (ramps, wheelchair doors, lifts)",
           "无障碍设施及标识", 3, "不符合不得分。"),
        _i("7.5", "场地设置", "non-slip floors, handrails, ventilation, heating",
           "地面防滑、扶手、通风", 3, "不符合不得分。"),
        _i("8.1", "设施设备", "assessment equipment", "评估设备", 6,
           "有一项不符合扣2分，扣完为止。"),
        _i("8.2", "设施设备", "physiotherapy equipment", "理疗设备", 6,
           "有一项不符合扣2分，扣完为止。"),
        _i("8.3", "设施设备", "casting equipment", "取型设备", 6,
           "有一项不符合扣2分，扣完为止。"),
        _i("8.4", "设施设备", "fabrication equipment", "制作设备", 6,
           "有一项不符合扣2分，扣完为止。"),
        _i("8.5", "设施设备", "training equipment", "训练设备", 6,
           "有一项不符合扣2分，扣完为止。"),
        _i("9", "知情同意制度", "informed consent", "知情同意制度", 10, _CONSENT_ASSISTIVE),
    ),
)

_F2_HEARING = Form(
    form_id="F2-assistive-hearing_aid",
    title_zh="山西省工伤保险辅助器具配置协议服务机构准入评估表（助听器配置机构）",
    kind="assistive", subtype="hearing_aid", veto_items=_VETO_ASSISTIVE,
    items=(
        _i("6.1", "人员配置", "ENT doctor with intermediate or senior title",
           "耳鼻咽喉科中、高级医师", 20,
           "专科医师具有中级任职资格得10分，具有高级任职资格得20分。"),
        _i("6.2", "人员配置", "certified hearing-aid fitter (grade 4), 1+ year in fitting",
           "助听器验配师", 10, "从业1-5年得5分，5年以上得10分。"),
        _i("6.3", "人员配置", "hearing tester", "听力测试人员", 10,
           "未能配备听力测试人员不得分。"),
        _i("7.1", "场地设置", "business space of 30 m2 or more", "业务用房30㎡以上", 10,
           "30㎡以上得10分，20㎡-30㎡得6分，不足20㎡不得分。"),
        _i("7.2", "场地设置", "separate rooms; audiometry room noise <= 25 dB(A)",
           "独立诊断室、测听室等", 6, "有一项不符合扣2分，扣完为止。"),
        _i("7.3", "场地设置", "labour protection, environmental and fire rules",
           "劳动保护、环保及消防", 4, "不符合不得分。"),
        _i("8.1", "设施设备", "ear examination equipment", "耳科检查设备", 7,
           "有一项不符合扣4分，扣完为止。"),
        _i("8.2", "设施设备", "audiometry and fitting equipment", "测听和验配设备", 7,
           "有一项不符合扣2分，扣完为止。"),
        _i("8.3", "设施设备", "ear-mould equipment", "耳模制作设备", 6,
           "有一项不符合扣2分，扣完为止。"),
        _i("8.4", "设施设备", "maintenance equipment", "保养维修设备", 6, "不符合不得分。"),
        _i("8.5", "设施设备", "equipment calibrated on time", "设备定期检验校准", 4,
           "有一项设备未按时校准，扣2分。"),
        _i("9", "知情同意制度", "informed consent", "知情同意制度", 10, _CONSENT_ASSISTIVE),
    ),
)

_F2_OPTICAL = Form(
    form_id="F2-assistive-optical_aid",
    title_zh="山西省工伤保险辅助器具配置协议服务机构准入评估表（光学助视器配置机构）",
    kind="assistive", subtype="optical_aid", veto_items=_VETO_ASSISTIVE,
    items=(
        _i("6.1", "人员配置", "ophthalmologist with intermediate or senior title",
           "眼科中、高级医师", 20,
           "专科医师具有中级任职资格得10分，具有高级任职资格得20分。"),
        _i("6.2", "人员配置", "certified optometrist, 1+ year in optical aids", "验光员", 10,
           "从业1-5年得5分，5年以上得10分。"),
        _i("7.1", "场地设置", "vision examination room and training place",
           "视功能检查室、训练场所", 20,
           "未能提供视功能检查室扣10分，未能提供训练场所扣10分。"),
        _i("7.2", "场地设置", "labour protection, environmental and fire rules",
           "劳动保护、环保及消防", 10, "符合得10分，不符不得分。"),
        _i("8.1", "设施设备", "eye examination equipment", "眼科检查设备", 16,
           "有一项不符合扣2分，扣完为止。"),
        _i("8.2", "设施设备", "low-vision refraction room equipment", "低视力验光室设备", 8,
           "有一项不符合扣2分，扣完为止。"),
        _i("8.3", "设施设备", "maintenance equipment", "助视器保养维护设备", 6,
           "不符合不得分。"),
        _i("9", "知情同意制度", "informed consent", "知情同意制度", 10, _CONSENT_ASSISTIVE),
    ),
)

_F2_EYE = Form(
    form_id="F2-assistive-artificial_eye",
    title_zh="山西省工伤保险辅助器具配置协议服务机构准入评估表（假眼配置机构）",
    kind="assistive", subtype="artificial_eye", veto_items=_VETO_ASSISTIVE,
    # The seed prints 场地设置 and 设施设备 as unnumbered rows under item 6;
    # "6b" and "6c" are our codes for them (as docs/rules.md lists them).
    items=(
        _i("6", "人员配置", "artificial-eye staff, 1+ year in fitting", "专职专业人员", 25,
           "从业1-5年得20分，5年以上得25分。"),
        _i("6b", "场地设置", "separate fabrication and fitting room", "独立制作安装室", 20,
           "未提供独立的制作安装室扣20分。"),
        _i("6c", "设施设备", "fabrication equipment (heater, polisher, ...)", "设施设备", 45,
           "有一项不符合扣5分，扣完为止。"),
        _i("7", "知情同意制度", "informed consent", "知情同意制度", 10, _CONSENT_ASSISTIVE),
    ),
)

F2_FORMS: dict[tuple[str, str | None], Form] = {
    ("medical", None): _F2_MEDICAL,
    ("rehab", None): _F2_REHAB,
    ("assistive", "prosthetic_orthotic"): _F2_PROSTHETIC,
    ("assistive", "hearing_aid"): _F2_HEARING,
    ("assistive", "optical_aid"): _F2_OPTICAL,
    ("assistive", "artificial_eye"): _F2_EYE,
}

# --------------------------------------------------------------------------- #
# F6 annual assessment forms (附件6 年度考核评分表)
# --------------------------------------------------------------------------- #
_BOTH = ("medical", "rehab")
_M = ("medical",)   # 仅医疗机构参与
_R = ("rehab",)     # 仅康复机构参与
_S1, _S2, _S3, _S4, _S5 = ("机构管理", "制度建设", "就诊管理", "目录管理", "服务管理")

_F6_MEDICAL_REHAB = Form(
    form_id="F6-medical-rehab",
    title_zh="山西省工伤保险医疗（康复）协议服务机构年度考核评分表",
    kind="medical_rehab", subtype=None,
    # ASM-02, 备注1: 冒名住院、医疗（康复）机构提供虚假资料的一票否决，考核为零分。
    veto_items=(
        _v("V1", "identity fraud in admission", "冒名住院", "冒名住院的一票否决，考核为零分。"),
        _v("V2", "false material from the institution", "提供虚假资料",
           "医疗（康复）机构提供虚假资料的一票否决，考核为零分。"),
    ),
    items=(
        _i("1.1", _S1, "hospital lead and work-injury office with staff", "分管领导及管理机构", 2,
           "按照《协议》要求，有院级分管领导、内设工伤保险专（兼）职管理机构，配备专（兼）职"
           "管理人员。", _BOTH),
        _i("1.2", _S1, "the office and its staff have written duties", "管理机构工作职责", 2,
           "内设工伤保险专（兼）职管理机构及管理人员有相应的工作职责。", _BOTH),
        _i("1.3", _S1, "treatment counts and costs reported on time", "按时报送情况表", 1,
           "按时报送《工伤治疗人次及费用情况表》。", _BOTH),
        _i("2.1", _S2, "internal rules incl. self-checks and sanctions", "本院管理制度", 2,
           "按照工伤保险政策规定及协议内容，建立健全本院管理制度（必须含有自查内容和违规内部"
           "处理制度）。", _BOTH),
        _i("2.2", _S2, "approval rules for special exams, high-value consumables, blood",
           "特殊检查等审批制度", 3, "建立特殊检查、高值耗材、血液制品等审批制度。", _BOTH),
        _i("2.3", _S2, "self-check records", "自查处理记录", 1, "建立相应自查处理记录。", _BOTH),
        _i("2.4", _S2, "approval rules for referral, relapse, rehab", "转诊转院等审批制度", 3,
           "建立转诊转院、旧伤复发、康复治疗等审批制度。", _BOTH),
        _i("2.5", _S2, "informed consent for self-paid and over-price items",
           "自费项目知情确认", 1, "严格执行自费项目及超出医疗服务项目价格的知情确认制度。",
           _BOTH),
        _i("3.1", _S3, "inpatient cost advance for injured workers", "住院费用垫付", 3,
           "认真落实职工住院治疗工伤费用垫付制度。", _BOTH),
        _i("3.2", _S3, "injury and illness costs settled separately", "伤病分别结算", 3,
           "按规定在治疗过程中对“伤、病”发生的费用分别结算。", _BOTH),
        _i("3.3", _S3, "relapse admission approved", "旧伤复发审批", 4,
           "职工旧伤复发住院治疗严格履行审批手续。", _BOTH),
        _i("3.4", _S3, "rehab approved, planned and assessed", "康复治疗审批", 5,
           "严格履行医疗康复治疗审批手续，康复治疗由专业科室执行，要有康复计划和康复评定。",
           _BOTH),
        _i("3.5", _S3, "timely referral and transfer", "转诊转院", 2,
           "及时为符合转诊、转院条件的工伤职工办理转诊转院手续。", _BOTH),
        _i("3.6", _S3, "admission criteria; first diagnosis due to the injury", "出入院标准", 5,
           "严格掌握出入院标准，入院第一诊断应为工伤所致。", _BOTH),
        _i("3.7", _S3, "intensive-care admission criteria", "重症监护收治标准", 2,
           "严格执行重症监护病房收治标准。", _BOTH),
        _i("3.8", _S3, "no admission across specialties or departments", "不跨专业跨科室收治", 4,
           "不跨专业、跨科室收治患者。", _BOTH),
        _i("4.1", _S4, "national drug catalogue applied", "药品目录", 5,
           "严格执行《国家基本医疗保险、工伤保险和生育保险药品目录》，因病施治，对于药品目录有"
           "限定要求的，使用时要有依据。", _BOTH),
        _i("4.2", _S4, "fees by the provincial price list, no splitting or swapping",
           "诊疗项目收费", 4,
           "诊疗项目收费依据《山西省医疗服务项目价格》，未经物价和相关部门批准的诊疗项目不予支付，"
           "不得分解收费和串换收费等。", _BOTH),
        _i("5.1", _S5, "medical (or rehab) records true and complete", "病历书写", 3,
           "按照《病历书写基本规范》要求，病历书写要真实、客观、准确、完整（康复机构根据康复计划"
           "提供康复服务做好记录，康复治疗单符合规范）。", _BOTH),
        _i("5.2", _S5, "five documents agree", "五吻合", 4,
           "票据、费用明细、住院医嘱、病程记录、治疗单五吻合。", _BOTH),
        _i("5.3", _S5, "rational drug use", "合理用药", 6,
           "合理用药，不过度及超量用药，特殊用药病历中要有合理分析依据。", _BOTH),
        _i("5.4", _S5, "special examinations approved and reasoned", "特殊检查审批", 6,
           "特殊检查有审批手续，辅助检查化验报告单齐全，病程记录中要有相关分析论证。"
           "（仅医疗机构参与）", _M),
        _i("5.5", _S5, "no over-examination, over-treatment or over-rehab",
           "不过度检查治疗康复", 14,
           "不过度检查、过度治疗、过度康复（康复机构制定合理的康复治疗计划，包括康复治疗的合理性、"
           "康复治疗每10次的疗效、康复治疗的总体有效性是否符合医学质量控制要求等情况）。", _BOTH),
        _i("5.6", _S5, "discharge medication within limits", "出院带药", 4,
           "出院带药量符合医保相关规定。（仅医疗机构参与）", _M),
        _i("5.7", _S5, "bed fees by the standard", "床位费标准", 2, "按规定床位费标准收费。",
           _BOTH),
        _i("5.8", _S5, "daily bill given to the patient", "一日清单", 2,
           "及时向患者提供一日清单或将一日清单信息传输到自动查询机。", _BOTH),
        _i("5.9", _S5, "no phantom bed occupancy", "不得挂床住院", 7, "不得挂床住院。", _BOTH),
        _i("5.10", _S5, "rehab safety and quality control", "康复安全责任", 10,
           "严格控制住院工伤职工康复期间的安全责任情况，包括康复安全性、既往医学康复质量控制检查、"
           "既往工伤保险监督检查等。（仅康复机构参与）", _R),
    ),
)

_A1, _A2, _A3, _A4, _A5 = ("机构管理", "制度建设", "配置管理", "服务管理", "服务质量")

_F6_ASSISTIVE = Form(
    form_id="F6-assistive",
    title_zh="山西省工伤保险辅助器具配置协议服务机构年度考核评分表",
    kind="assistive", subtype=None,
    # ASM-02, 备注1: 虚报冒领、辅助器具机构提供虚假资料的一票否决，考核为零分。
    veto_items=(
        _v("V1", "false claims", "虚报冒领", "虚报冒领的一票否决，考核为零分。"),
        _v("V2", "false material from the institution", "提供虚假资料",
           "辅助器具机构提供虚假资料的一票否决，考核为零分。"),
    ),
    items=(
        _i("1.1", _A1, "business within the licensed scope", "核准经营范围", 4,
           "无营业执照、相关许可证（或过期）、超出经营范围扣1分；实际经营地与注册地址不一致扣1分。"),
        _i("1.2", _A1, "separate function rooms", "功能室独立设置", 4,
           "检查室、产品加工室、功能训练区、休息住宿室缺一项扣1分。"),
        _i("1.3", _A1, "measuring, shaping and training equipment", "设备设施配备", 3,
           "检查固定资产和实物器材，有1项设备1分，最高3分。"),
        _i("1.4", _A1, "fitting staff hold professional qualifications", "配置人员资格", 4,
           "辅助器具配置人员执业资格证书，每人2分，最高4分。"),
        _i("2.1", _A2, "finance rules", "财务管理制度", 2,
           "财务管理制度健全完善（1分）、财务独立核算（1分）。"),
        _i("2.2", _A2, "service flow", "服务流程", 2, "服务流程健全完善（1分）、有效执行（1分）。"),
        _i("2.3", _A2, "after-sales rules", "售后制度", 2,
           "售后制度健全完善（1分）、有效执行（1分）。"),
        _i("2.4", _A2, "archive rules", "档案管理制度", 2,
           "档案管理制度健全完善（1分）、有效执行（1分）。"),
        _i("2.5", _A2, "follow-up visit rules", "回访制度", 2,
           "回访制度健全完善（1分）、有效执行（1分）。"),
        _i("3.1", _A3, "legal sources of parts", "零部件来源合法", 10,
           "具体检查合同、进货单、银行记录、发票、质量合格检测报告等资料，每一份资料不完整扣2分。"),
        _i("3.2", _A3, "dedicated display counter", "工伤辅助器具配置专柜", 3,
           "是否按经营产品设立“工伤辅助器具配置专柜”（明确标注产品的型号、产地、品牌、质量保证期"
           "等信息）。"),
        _i("3.3", _A3, "fitting process: laser marking, photos, fitting sheet", "配置流程", 6,
           "激光打印机构名称、配置日期、职工姓名并整体拍照（4分）；《配置制作单》填写完整（2分）。"
           "每份档案缺1项扣1分扣完为止。"),
        _i("3.4", _A3, "per-person fitting, replacement and repair archive", "配置管理档案", 10,
           "社会保障卡复印件、申请表、确认表复印件、病历、制作单、配置发票复印件、主要装配材料进货"
           "发票、回访记录、维修记录。每份档案缺1项扣1分。"),
        _i("3.5", _A3, "one file per person, kept 2 years after service ends", "一人一档", 2,
           "档案按一人一档整理（1分）、保管时间达标（1分）。"),
        _i("3.6", _A3, "inspection findings rectified", "问题及时整改", 2, "整改落实到位。"),
        _i("4.1", _A4, "pre-fitting exam, training and function evaluation records",
           "配置前后服务记录", 4,
           "配置前的检查记录、配置后的康复训练记录、功能评价服务记录。每份档案缺1项扣2分。"),
        _i("4.2", _A4, "home service or transport for the immobile", "上门或接送服务", 2,
           "是否有接送记录。"),
        _i("4.3", _A4, "policy board and complaint box", "政策宣传和投诉箱", 4,
           "显要位置设置政策宣传栏（2分）和投诉箱（2分）。"),
        _i("4.4", _A4, "use guidance and after-sales records", "使用指导及售后", 3,
           "售后记录齐全（3分）。"),
        _i("4.5", _A4, "follow-up visits and issue handling", "回访及问题处理", 3,
           "回访记录齐全（2分）；及时处理回访问题（1分）。"),
        _i("4.6", _A4, "quality disputes or lawsuits in the last 2 years", "质量纠纷涉诉", 6,
           "近两年发生质量纠纷涉诉事项属实的扣2分。"),
        # ASM-01: item 5 is the satisfaction survey total (survey_to_assistive_item5).
        _i("5", _A5, "service quality: satisfaction survey total", "工伤人员满意度及服务质量",
           20, "通过电话或实地回访形式调查前期和后期服务质量，形成工伤人员满意度及服务质量调查表。"),
    ),
)

F6_FORMS: dict[str, Form] = {
    "medical_rehab": _F6_MEDICAL_REHAB,
    "assistive": _F6_ASSISTIVE,
}

_SQ = "调查内容"
SURVEY = Form(
    form_id="F6-survey",
    title_zh="工伤人员满意度及服务质量调查表",
    kind="assistive", subtype="survey", veto_items=(),
    # Question 8 (其他说明的事项) is free text and not scored.
    items=(
        _i("Q1", _SQ, "laser marking, inspection certificate and warranty card",
           "激光打印信息、合格证、保修卡", 4, "信息是否完整（是4分 否0分）。"),
        _i("Q2", _SQ, "fitting sheet matches the device", "制作单与器具一致", 3,
           "配置是否一致（是3分 否0分）。"),
        _i("Q3", _SQ, "told model, material, maker, price, warranty, service life",
           "明确告知基本信息", 1, "是否明确告知（是1分 否0分）。"),
        _i("Q4", _SQ, "transport and free lodging provided", "上门接送及住宿服务", 2,
           "是否提供上门接送服务（是1分 否0分）；是否提供住宿服务（是1分 否0分）。"),
        _i("Q5", _SQ, "regular rehab training and satisfaction with it", "康复训练", 3,
           "定期接受康复训练（是1分 否0分）；康复训练的满意度（满意2分 一般1分 不满意0分）。"),
        _i("Q6", _SQ, "follow-up visits and satisfaction with resolution", "定期回访及问题解决", 3,
           "是否有定期回访（是1分 否0分）；问题得以解决的满意度（满意2分 一般1分 不满意0分）。"),
        _i("Q7", _SQ, "after-sales service given, free of charge, satisfaction", "售后服务", 4,
           "是否发生过质量问题并提供售后服务（未提供0分 提供1分）；售后服务是否收费（是0分 否1分）；"
           "售后满意度（满意2分 一般1分 不满意0分）。"),
    ),
)

# The point values each survey answer can take (sums of its yes/no and
# satisfaction parts as printed).
SURVEY_ALLOWED: dict[str, frozenset[Decimal]] = {
    "Q1": frozenset({Decimal(0), Decimal(4)}),
    "Q2": frozenset({Decimal(0), Decimal(3)}),
    "Q3": frozenset(Decimal(n) for n in range(2)),
    "Q4": frozenset(Decimal(n) for n in range(3)),
    "Q5": frozenset(Decimal(n) for n in range(4)),
    "Q6": frozenset(Decimal(n) for n in range(4)),
    "Q7": frozenset(Decimal(n) for n in range(5)),
}


def _check_data() -> None:
    """The forms' own arithmetic, checked at import (EVA-02, ASM-01). Raises
    rather than asserts so that ``python -O`` cannot skip it."""
    problems: list[str] = []
    for form in F2_FORMS.values():
        if form.max_total() != 100:
            problems.append(f"{form.form_id} totals {form.max_total()}, not 100")
        if [v.code for v in form.veto_items] != ["V1", "V2", "V3", "V4", "V5"]:
            problems.append(f"{form.form_id} lacks the five veto items")
    for kind in _BOTH:
        if _F6_MEDICAL_REHAB.max_total(kind) != 100:
            problems.append(f"F6 medical/rehab totals {_F6_MEDICAL_REHAB.max_total(kind)} for {kind}")
    if _F6_ASSISTIVE.max_total() != 100:
        problems.append(f"F6 assistive totals {_F6_ASSISTIVE.max_total()}")
    if not SURVEY.max_total() == 20 == _F6_ASSISTIVE.item("5").max_points:
        problems.append("the survey must total 20, the worth of assistive F6 item 5")
    for form in (*F2_FORMS.values(), *F6_FORMS.values(), SURVEY):
        codes = [it.code for it in form.items]
        if len(codes) != len(set(codes)):
            problems.append(f"{form.form_id} repeats an item code")
    if problems:
        raise RuntimeError("form data broken: " + "; ".join(problems))


_check_data()


# --------------------------------------------------------------------------- #
# Looking forms up
# --------------------------------------------------------------------------- #
def f2_form_for(kind: str, subtype: str | None) -> Form:
    """The admission form for an institution's kind and subtype (EVA-02)."""
    try:
        return F2_FORMS[(kind, subtype)]
    except (KeyError, TypeError):
        pass
    valid = ", ".join(k if s is None else f"{k}/{s}" for k, s in F2_FORMS)
    asked = kind if subtype is None else f"{kind}/{subtype}"
    raise UnknownForm(f"no admission evaluation form for {asked!r}; valid: {valid}",
                      rule="EVA-02",
                      remedy="medical and rehab take no subtype; assistive needs one of "
                             "prosthetic_orthotic, hearing_aid, optical_aid, artificial_eye")


def f6_form_for(kind: str) -> Form:
    """The annual assessment form for a kind (ASM-01): medical and rehab share one."""
    if kind in _BOTH:
        return _F6_MEDICAL_REHAB
    if kind == "assistive":
        return _F6_ASSISTIVE
    raise UnknownForm(f"no annual assessment form for kind {kind!r}; "
                      "valid kinds: medical, rehab, assistive", rule="ASM-01",
                      remedy="use medical, rehab or assistive")


# --------------------------------------------------------------------------- #
# Scoring
# --------------------------------------------------------------------------- #
def _points(value: object, *, what: str, rule: str) -> Decimal:
    """A point value: Decimal or int (or a decimal string), at most 2 places.
    Never a float (TypeError)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{what}: points are exact decimals, never {type(value).__name__} "
                        f"({value!r}); pass Decimal('{value}')")
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            raise ScoreError(f"{what}: {value!r} is not a number", rule=rule,
                             remedy="give points as a decimal such as 2 or 0.5") from None
    else:
        raise TypeError(f"{what}: points must be Decimal or int, got {type(value).__name__}")
    if not d.is_finite():
        raise ScoreError(f"{what}: {value!r} is not a finite number", rule=rule,
                         remedy="give points as a decimal such as 2 or 0.5")
    if d != d.quantize(_CENT):
        raise ScoreError(f"{what}: {d} has more than 2 decimal places", rule=rule,
                         remedy="round the points to 0.01")
    return d


def score_items(form: Form, *, kind: str | None,
                deductions: Mapping[str, Sequence[tuple[Decimal, str]]] | None = None,
                awarded: Mapping[str, Decimal] | None = None,
                veto_failed: Iterable[str] = ()) -> ScoreResult:
    """Score one sheet. Every applicable item starts at its maximum; a
    deduction lowers it, never below 0 (扣完为止); an awarded item takes the
    points given. The total is computed here, never typed in (EVA-03, ASM-03).

    For the F6 forms a failed veto sets the total to 0 (ASM-02); for F2 the
    points stand as computed and the caller fails the evaluation on the veto
    (EVA-03). ``passed_points`` is total >= 90 with no veto failed (EVA-04)."""
    annual = form.is_annual
    form_rule = "ASM-01" if annual else "EVA-02"     # which form, which items
    bound_rule = "ASM-03" if annual else "EVA-03"    # item scores in [0, max]
    reason_rule = "ASM-03" if annual else "EVA-06"   # working papers: each deduction's reason
    veto_rule = "ASM-02" if annual else "EVA-03"
    deductions = dict(deductions or {})
    awarded = dict(awarded or {})

    # EVA-02 / ASM-01: the kind must be one the form serves.
    try:
        applicable = form.items_for(kind)
    except LookupError as e:
        raise ScoreError(str(e), rule=form_rule,
                         remedy=f"score {form.form_id} for kind {' or '.join(form.kinds)}, "
                                "or pick the form for the institution's kind") from None
    valid_codes = [it.code for it in applicable]
    by_code = {it.code: it for it in applicable}

    # EVA-02 / ASM-01: only the form's applicable items can be scored.
    for code in (*deductions, *awarded):
        if code not in by_code:
            why = ("does not apply to " + repr(kind)) if code in {i.code for i in form.items} \
                else "is not on the form"
            raise ScoreError(f"item {code!r} {why} ({form.form_id})", rule=form_rule,
                             remedy=f"valid codes: {', '.join(valid_codes)}")
    both = sorted(set(deductions) & set(awarded), key=valid_codes.index)
    if both:
        raise ScoreError(f"item(s) {', '.join(both)} both awarded and deducted", rule=bound_rule,
                         remedy="score each item either by award or by deductions, not both")

    # Veto items (EVA-03 / ASM-02).
    veto_codes = [v.code for v in form.veto_items]
    failed: list[str] = []
    for code in veto_failed:
        if code not in veto_codes:
            raise ScoreError(f"{form.form_id} has no veto item {code!r}", rule=veto_rule,
                             remedy=f"valid veto codes: {', '.join(veto_codes) or 'none'}")
        if code not in failed:
            failed.append(code)
    failed.sort(key=veto_codes.index)

    item_points: dict[str, Decimal] = {}
    for it in applicable:
        if it.code in awarded:
            pts = _points(awarded[it.code], what=f"item {it.code} award", rule=bound_rule)
            # EVA-03 / ASM-03: an item's score lies in [0, its maximum].
            if pts < 0 or pts > it.max_points:
                raise ScoreError(
                    f"item {it.code} awarded {pts}, outside [0, {it.max_points}]",
                    rule=bound_rule,
                    remedy=f"award item {it.code} between 0 and its maximum {it.max_points}")
            item_points[it.code] = pts
            continue
        taken = Decimal(0)
        for entry in deductions.get(it.code, ()):
            try:
                amount, reason = entry
            except (TypeError, ValueError):
                raise ScoreError(f"item {it.code}: a deduction is (points, reason), got {entry!r}",
                                 rule=reason_rule,
                                 remedy="give each deduction as (points, reason)") from None
            amt = _points(amount, what=f"item {it.code} deduction", rule=bound_rule)
            if amt <= 0:
                raise ScoreError(f"item {it.code}: deduction {amt} is not positive",
                                 rule=bound_rule, remedy="a deduction takes off more than 0 points")
            # EVA-06: the working papers keep each deduction's reason.
            if not isinstance(reason, str) or not reason.strip():
                raise ScoreError(f"item {it.code}: a deduction of {amt} has no reason",
                                 rule=reason_rule,
                                 remedy=f"state why {amt} point(s) are taken off item {it.code}")
            taken += amt
        # EVA-03 / ASM-03: deductions stop at 0 within the item (扣完为止).
        item_points[it.code] = max(it.max_points - taken, Decimal(0))

    # EVA-03 / ASM-03: the total is computed from the items, never typed in.
    total = sum(item_points.values(), Decimal(0))
    if annual and failed:
        total = Decimal(0)  # ASM-02: 一票否决，考核为零分
    return ScoreResult(form_id=form.form_id, total=total, veto_failed=tuple(failed),
                       item_points=item_points,
                       passed_points=total >= PASS_MARK and not failed)


def survey_to_assistive_item5(answers: Mapping[str, Decimal]) -> Decimal:
    """ASM-01: the satisfaction survey's total (out of 20) is the assistive F6
    item "5" (worth 20). Every scored question Q1..Q7 must be answered with a
    value its scoring scheme allows."""
    codes = [it.code for it in SURVEY.items]
    missing = [c for c in codes if c not in answers]
    unknown = [c for c in answers if c not in codes]
    if unknown:
        raise ScoreError(f"survey has no question(s) {', '.join(map(str, unknown))}",
                         rule="ASM-01", remedy=f"answer {', '.join(codes)}")
    if missing:
        raise ScoreError(f"survey question(s) {', '.join(missing)} not answered", rule="ASM-01",
                         remedy=f"answer every scored question {', '.join(codes)}")
    for code in codes:
        pts = _points(answers[code], what=f"survey {code}", rule="ASM-03")
        if pts not in SURVEY_ALLOWED[code]:
            allowed = ", ".join(str(a) for a in sorted(SURVEY_ALLOWED[code]))
            raise ScoreError(f"survey {code} scored {pts}; its scheme allows {allowed}",
                             rule="ASM-03",
                             remedy=f"score {code} as one of {allowed} "
                                    f"(maximum {SURVEY.item(code).max_points})")
    result = score_items(SURVEY, kind="assistive", awarded=dict(answers))
    return result.total
