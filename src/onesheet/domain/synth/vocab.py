"""Codes, department keys and word lists the synthetic county draws from.

Every code the generator writes is named here once, by meaning, so that aligning the
generator with the packaged code tables (``onesheet/data/codes/*.csv``) is an edit in one
file, and the unit test can check each emitted code against its table.
"""

from __future__ import annotations

# Department keys (一数一源: who is the authoritative source of each field).
PUBLIC_SECURITY = "public_security"
VILLAGE = "village"
CIVIL_AFFAIRS = "civil_affairs"
EDUCATION = "education"
ORGANIZATION = "organization"
DISABLED_FEDERATION = "disabled_federation"
VETERANS = "veterans"
HUMAN_RESOURCES = "human_resources"
MEDICAL_SECURITY = "medical_security"
HEALTH = "health"
AGRICULTURE = "agriculture"
NATURAL_RESOURCES = "natural_resources"
HOUSING = "housing"
MARKET_REGULATION = "market_regulation"
STATISTICS = "statistics"

# --- national tables -----------------------------------------------------------------------
MALE, FEMALE = "1", "2"  # GB/T 2261.1

HAN = "01"  # GB 3304; minorities below are those a Zhejiang or Hubei county actually sees
MINORITIES: tuple[tuple[str, float], ...] = (
    ("22", 3.0),  # 畲族
    ("03", 2.0),  # 回族
    ("06", 2.0),  # 苗族
    ("15", 2.0),  # 土家族
    ("08", 1.5),  # 壮族
    ("09", 1.0),  # 布依族
    ("07", 1.0),  # 彝族
    ("04", 0.5),  # 藏族
)

# GB/T 4761 relationship to the household head.
REL_HEAD = "02"
REL_SPOUSE = "10"
REL_SON_ONLY, REL_DAUGHTER_ONLY = "21", "31"
REL_SONS = ("22", "23", "24", "25", "26")  # 长子 … 五子
REL_DAUGHTERS = ("32", "33", "34", "35", "36")  # 长女 … 五女
REL_SON_IN_LAW = "28"
REL_DAUGHTER_IN_LAW = "38"
REL_GRANDSON, REL_GRANDDAUGHTER = "41", "42"
REL_DAUGHTERS_SON, REL_DAUGHTERS_DAUGHTER = "43", "44"
REL_FATHER, REL_MOTHER = "51", "52"

# GB/T 2261.2 marital status.
UNMARRIED, MARRIED, REMARRIED, WIDOWED, DIVORCED = "10", "20", "22", "30", "40"

# GB/T 4658 education: (code, weight) by birth cohort for people who have left school.
EDU_IN_PRIMARY, EDU_IN_JUNIOR, EDU_IN_SENIOR, EDU_IN_VOCATIONAL = "80", "70", "60", "40"
EDU_IN_BACHELOR, EDU_IN_COLLEGE = "20", "30"
EDUCATION_BY_COHORT: tuple[tuple[int, tuple[tuple[str, float], ...]], ...] = (
    # (born before this year, distribution)
    (1950, (("90", 35), ("83", 10), ("81", 35), ("71", 15), ("61", 5))),
    (1965, (("90", 14), ("83", 6), ("81", 30), ("71", 35), ("61", 10), ("41", 3), ("31", 2))),
    (
        1980,
        (("90", 3), ("81", 20), ("71", 46), ("61", 14), ("44", 4), ("41", 5), ("31", 5), ("21", 3)),
    ),
    (
        1995,
        (
            ("81", 5),
            ("71", 33),
            ("61", 14),
            ("44", 12),
            ("47", 3),
            ("31", 18),
            ("21", 14),
            ("14", 1),
        ),
    ),
    (9999, (("71", 14), ("61", 12), ("44", 12), ("47", 2), ("31", 30), ("21", 27), ("14", 3))),
)

# GB/T 4762 political status.
PARTY_MEMBER, PARTY_PROBATIONARY, LEAGUE_MEMBER, MASSES = "01", "02", "03", "13"

# --- local tables (align with onesheet/data/codes/*.csv) -------------------------------------
HUKOU_AGRICULTURAL, HUKOU_NON_AGRICULTURAL = "1", "2"
RESIDENT, AWAY = "1", "2"  # residence_status: 常住 / 户在人不在（外出）

EMPLOYMENT = {
    "preschool": "50",
    "student": "40",
    "farming": "10",
    "local_work": "11",
    "migrant_work": "12",
    "self_employed": "20",
    "employed": "30",
    "retired": "60",
    "unemployed": "70",
    "unable": "80",
}
PENSION_EMPLOYEE, PENSION_PUBLIC, PENSION_RESIDENT, PENSION_NONE = "2", "3", "1", "9"
MEDICAL_EMPLOYEE, MEDICAL_RESIDENT, MEDICAL_NONE = "1", "2", "9"

# disability_category 1–7 (视力 听力 言语 肢体 智力 精神 多重), weights from CDPF registrations.
DISABILITY_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("1", 12),
    ("2", 11),
    ("3", 1.5),
    ("4", 48),
    ("5", 8),
    ("6", 10),
    ("7", 9.5),
)
DISABILITY_GRADES: tuple[tuple[str, float], ...] = (("1", 14), ("2", 24), ("3", 30), ("4", 32))

MILITARY_SERVICE: tuple[tuple[str, float], ...] = (
    ("1", 85),  # 退役士兵
    ("2", 8),  # 退役军官
    ("3", 4),  # 伤残退役军人
    ("4", 3),  # 复员干部 / 其他
)

# monitoring_type: 1 脱贫不稳定户 2 边缘易致贫户 3 突发严重困难户
MONITORING_TYPES: tuple[tuple[str, float], ...] = (("1", 40), ("2", 40), ("3", 20))
# house_nature: 1 自建房 2 商品房; house_usage: 1 自住 2 出租 5 闲置
HOUSE_SELF_BUILT, HOUSE_COMMERCIAL = "1", "2"
USAGE_OWN, USAGE_RENTED, USAGE_EMPTY = "1", "2", "5"

HOUSEHOLD_FAMILY = "1"  # household_type: 家庭户 (集体户 = "2" is not generated)

# house_structure: 1 钢混 2 砖混 3 砖木 4 土木 5 其他; house_safety_grade A–D.
STRUCT_RC, STRUCT_BRICK_CONCRETE, STRUCT_BRICK_WOOD, STRUCT_EARTH_WOOD, STRUCT_OTHER = (
    "1",
    "2",
    "3",
    "4",
    "5",
)
SAFETY_GRADES = ("A", "B", "C", "D")

# enterprise_type: 1 有限责任公司 2 股份有限公司 3 个人独资企业 4 合伙企业
#                  5 农民专业合作社 6 个体工商户
ENT_LLC, ENT_JOINT_STOCK, ENT_SOLE, ENT_PARTNERSHIP, ENT_COOP, ENT_INDIVIDUAL = (
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
)
# enterprise_status: 1 存续（在营） 2 吊销 3 注销 4 迁出 5 歇业
ENT_ACTIVE, ENT_REVOKED, ENT_CANCELLED, ENT_MOVED, ENT_DORMANT = "1", "2", "3", "4", "5"

# --- words ---------------------------------------------------------------------------------
PLACE_FIRST = (
    "东西南北上下前后大小新高横长石青白黄红金银龙凤马杨柳梅桃竹松溪清碧云孝昌章鄣"
    "报港安永太平和福兴仁义德善双三五九万千古潘陈丁蒋钱周朱塘湖峰源桥泉"
)
PLACE_SECOND = "山湖溪塘桥坞岭湾坑港岗坪口坝丰田林庄园墩浦泉里川河洲渚埠阳峰源关亭垓墅圩"
ROAD_SUFFIXES = ("路", "路", "街", "大道")

# Where people who work away live: (province+city+district, weight).
AWAY_PLACES: tuple[tuple[str, float], ...] = (
    ("浙江省杭州市余杭区", 6),
    ("浙江省杭州市西湖区", 3),
    ("浙江省湖州市吴兴区", 4),
    ("浙江省宁波市鄞州区", 3),
    ("浙江省嘉兴市南湖区", 2),
    ("上海市浦东新区", 5),
    ("上海市闵行区", 3),
    ("江苏省苏州市吴中区", 4),
    ("江苏省无锡市新吴区", 2),
    ("广东省深圳市宝安区", 3),
    ("广东省广州市番禺区", 2),
    ("北京市朝阳区", 2),
    ("湖北省武汉市洪山区", 2),
)

# 字号 (trade names): two-character prefixes from Faker's zh_CN company provider (the plain
# ones) plus combinations of characters shops favour.
FAKER_TRADE_NAMES = (
    "超艺",
    "和泰",
    "九方",
    "海创",
    "凌云",
    "彩虹",
    "天益",
    "创汇",
    "思优",
    "盟新",
    "创亿",
    "明腾",
    "良诺",
    "天开",
    "快讯",
    "联软",
    "七喜",
    "南康",
    "银嘉",
    "巨奥",
    "佳禾",
    "国讯",
    "太极",
    "群英",
    "精芯",
    "昊嘉",
    "四通",
    "维涛",
)
TRADE_CHARS = "恒兴盛丰隆鑫源达泰华宏昌福安顺瑞祥嘉德康信诚永振金润宝利合美佳益新旺"

# industry (GB/T 4754 sections) → (weight, words, legal forms with weights)
INDUSTRIES: dict[str, tuple[float, tuple[str, ...], tuple[tuple[str, float], ...]]] = {
    "A": (
        16,
        ("白茶", "茶叶", "竹笋", "家庭农场", "生态农业", "水产养殖", "苗木", "果蔬"),
        ((ENT_COOP, 45), (ENT_LLC, 25), (ENT_INDIVIDUAL, 25), (ENT_SOLE, 5)),
    ),
    "C": (
        18,
        ("竹木制品", "椅业", "家具", "转椅配件", "机械", "纺织", "塑料制品", "五金", "食品"),
        ((ENT_LLC, 75), (ENT_INDIVIDUAL, 15), (ENT_SOLE, 5), (ENT_JOINT_STOCK, 5)),
    ),
    "E": (6, ("建筑工程", "装饰工程", "水电安装"), ((ENT_LLC, 85), (ENT_INDIVIDUAL, 15))),
    "F": (
        24,
        ("商贸", "超市", "日用品", "副食品", "建材", "农资", "便利店"),
        ((ENT_INDIVIDUAL, 60), (ENT_LLC, 35), (ENT_SOLE, 5)),
    ),
    "G": (4, ("物流", "运输", "快递服务"), ((ENT_LLC, 60), (ENT_INDIVIDUAL, 40))),
    "H": (
        14,
        ("农家乐", "民宿", "餐馆", "小吃", "酒店"),
        ((ENT_INDIVIDUAL, 70), (ENT_LLC, 25), (ENT_PARTNERSHIP, 5)),
    ),
    "I": (2, ("网络科技", "信息技术"), ((ENT_LLC, 100),)),
    "K": (1, ("物业管理", "房地产开发"), ((ENT_LLC, 100),)),
    "L": (3, ("企业管理咨询", "旅游开发", "劳务服务"), ((ENT_LLC, 80), (ENT_PARTNERSHIP, 20))),
    "M": (2, ("科技", "检测技术"), ((ENT_LLC, 100),)),
    "N": (1, ("环境工程", "园林绿化"), ((ENT_LLC, 100),)),
    "O": (
        7,
        ("家政服务", "理发店", "汽车修理", "家电维修", "洗衣店"),
        ((ENT_INDIVIDUAL, 85), (ENT_LLC, 15)),
    ),
    "P": (1, ("培训", "托育服务"), ((ENT_LLC, 100),)),
    "Q": (1, ("诊所", "药房"), ((ENT_INDIVIDUAL, 60), (ENT_LLC, 40))),
    "R": (1, ("文化传媒", "文化旅游"), ((ENT_LLC, 100),)),
}

COMPANY_SUFFIX = {
    ENT_LLC: "有限公司",
    ENT_JOINT_STOCK: "股份有限公司",
    ENT_SOLE: "厂",
    ENT_PARTNERSHIP: "（普通合伙）",
    ENT_COOP: "专业合作社",
    ENT_INDIVIDUAL: "店",
}

# Given names that were whole words of their time (MPS 2020 report, 佛山 and 武汉 lists).
ERA_WHOLE_NAMES = {
    ("1950s-60s", MALE): ("建国", "建华", "解放", "援朝", "跃进", "国庆", "卫东", "红旗", "建军"),
    ("1950s-60s", FEMALE): ("秀英", "桂英", "玉兰", "淑珍", "凤英", "红梅", "秀兰"),
    ("2010s", MALE): ("浩宇", "浩然", "梓轩", "宇轩", "子墨", "一诺"),
    ("2010s", FEMALE): ("欣怡", "梓涵", "一诺", "语桐", "若汐", "诗涵"),
}

CHINESE_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
