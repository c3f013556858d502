"""Which other public office a line names (dialog.other_offices), the classifier's feature for
visitors at the wrong counter."""

from __future__ import annotations

import pytest

from dialog.entities import normalize
from dialog.other_offices import OTHER_OFFICES, OfficeFeatures, offices_named
from dialog.pack import DEFAULT_PACKS_DIR, load_pack


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("公积金怎么取出来装修", ("housing",)),
        ("异地就医的报销去几号窗口", ("medical",)),
        ("补办身份证要多久", ("police",)),
        ("车管所周六上班吗", ("traffic",)),
        ("Where do I pay a parking ticket?", ("traffic",)),
        ("I need a new ID card", ("police",)),
        # the hall's own words shared with other bodies name none of them
        ("交税能刷信用卡吗", ()),
        ("身份证要带吗", ()),
        ("房贷利息能抵个税吗", ()),
        ("can I pay my tax by bank card", ()),
        ("what is the atmosphere like", ()),  # "atm" is a whole word only
        ("个体工商户怎么开票", ()),  # a sole trader files and invoices here: no 工商 office
        ("工商局在哪", ("market",)),
        ("去日本旅游的签证怎么办", ("police", "leisure")),  # exit and entry
        ("租的房子退租押金要不回来", ("housing",)),
        ("农村宅基地能不能卖", ("housing",)),
        ("八十岁老人的高龄津贴", ("civil",)),
        # the avatar's own life is no business of the hall's; the hall ("你们") and a request
        # to the avatar ("你帮我") are
        ("你的工资高吗", ("personal",)),
        ("你每年能赚多少", ("personal",)),
        ("你们几点下班", ()),
        # the avatar asked about working time means the hall's hours (both got the hours
        # before 14f60b2 and were out of scope with it)
        ("你周末都上班吗", ()),
        ("你平时几点上班", ()),
        ("你帮我看看工资要交多少税", ()),
        ("我一个月挣五千要交税吗", ()),
        # session 17: a hospital's departments and appointments, the post, a home's purchase
        # and lease registration, a sole trader's licence, the time of day and lunch
        ("帮我挂个明天的专家号", ("medical",)),
        ("孩子打疫苗在哪打", ("medical",)),
        ("寄包裹到上海要几天", ("utilities",)),
        ("买房首付要交多少", ("housing",)),
        ("租赁合同怎么备案", ("housing",)),
        ("开个体执照去哪办", ("market",)),
        ("现在几点了", ("leisure",)),
        ("中午吃啥好呢", ("leisure",)),
    ],
)
def test_offices_named(text: str, kinds: tuple[str, ...]) -> None:
    assert offices_named(normalize(text)) == kinds


def test_features_have_a_column_per_kind_and_one_for_any() -> None:
    block = OfficeFeatures(("medical", "housing"), weight=2.0)
    rows = block.fit_transform(["医保卡在医院刷不了", "公积金贷款", "发票丢了", "hospital bills"])
    assert rows.shape == (4, 3)  # one column per kind, the last for any of them
    assert rows.toarray().tolist() == [
        [2.0, 0.0, 2.0],
        [0.0, 2.0, 2.0],
        [0.0, 0.0, 0.0],
        [2.0, 0.0, 2.0],
    ]


def test_unknown_kind_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'hospitals'"):
        OfficeFeatures(("medical", "hospitals"))


def test_tax_pack_names_known_kinds() -> None:
    kinds = load_pack(DEFAULT_PACKS_DIR / "tax").setting("other_offices", ())
    assert kinds and set(kinds) <= set(OTHER_OFFICES)
    assert OfficeFeatures(tuple(kinds)).kinds == tuple(kinds)


@pytest.mark.parametrize(
    "text",
    [
        "房产证办下来要交契税吗",  # deed tax is paid here
        "个体户定期定额怎么交税",  # a tax assessment, not a fixed deposit
        "存款利息要交个税吗",
        "财务会计制度备案在哪里办",
        "can I pay my pension contributions here",
        "住房租金扣除要不要租房合同",  # the rent deduction, no lease registration
        "营业执照办好了下一步来税务登记吗",  # tax registration after the licence
        "现在几点开门",  # the hall's hours, not the time of day
    ],
)
def test_the_halls_own_matters_name_no_other_office(text: str) -> None:
    assert offices_named(normalize(text)) == ()
