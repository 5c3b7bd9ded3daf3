"""Vocabularies of the demo zone (all names are invented; none is a real company or university)."""

from __future__ import annotations

from dataclasses import dataclass

from hetao.registry.models import PartyKind

# (industry code, English, simplified Chinese, traditional Chinese)
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("materials_science", "Quantum Materials", "量子材料", "量子材料"),
    ("materials_science", "Semiconductor Materials", "半导体材料", "半導體材料"),
    ("materials_science", "Flexible Electronics", "柔性电子", "柔性電子"),
    ("materials_science", "Battery Materials", "电池材料", "電池材料"),
    ("next_gen_it", "Advanced Photonics", "先进光子", "先進光子"),
    ("next_gen_it", "Integrated Circuit Design", "集成电路设计", "集成電路設計"),
    ("next_gen_it", "6G Communications", "6G通信", "6G通信"),
    ("next_gen_it", "Optoelectronics", "光电", "光電"),
    ("biomedicine", "Gene Therapy", "基因治疗", "基因治療"),
    ("biomedicine", "Drug Discovery", "新药研发", "新藥研發"),
    ("biomedicine", "Vaccine Research", "疫苗研究", "疫苗研究"),
    ("biotechnology", "Cell Therapy", "细胞治疗", "細胞治療"),
    ("biotechnology", "Synthetic Biology", "合成生物", "合成生物"),
    ("biotechnology", "Genomics", "基因组学", "基因組學"),
    ("biotechnology", "Protein Engineering", "蛋白质工程", "蛋白質工程"),
    ("life_sciences", "Brain-Computer Interface", "脑机接口", "腦機接口"),
    ("life_sciences", "Molecular Imaging", "分子影像", "分子影像"),
    ("life_sciences", "Microfluidics", "微流控", "微流控"),
    ("ai", "Machine Learning", "机器学习", "機器學習"),
    ("ai", "Intelligent Computing", "智能计算", "智能計算"),
    ("ai", "Embodied Intelligence", "具身智能", "具身智能"),
    ("data_science", "Data Intelligence", "数据智能", "數據智能"),
    ("data_science", "Privacy Computing", "隐私计算", "私隱計算"),
    ("digital_economy", "Distributed Ledger", "分布式账本", "分佈式賬本"),
    ("digital_economy", "Digital Trade", "数字贸易", "數字貿易"),
    ("smart_city", "Digital Twin", "数字孪生", "數字孿生"),
    ("smart_city", "Urban Sensing", "城市感知", "城市感知"),
    ("fintech", "Quantitative Finance", "量化金融", "量化金融"),
    ("fintech", "Payment Security", "支付安全", "支付安全"),
    ("advanced_manufacturing", "Medical Robotics", "医疗机器人", "醫療機械人"),
    ("advanced_manufacturing", "Precision Instruments", "精密仪器", "精密儀器"),
)

# Neighbourhoods of Futian district and of the northern New Territories, for names that read local.
SZ_PLACES = (
    ("Futian", "福田"),
    ("Huanggang", "皇岗"),
    ("Fubao", "福保"),
    ("Shatou", "沙头"),
    ("Lianhua", "莲花"),
    ("Xiangmi", "香蜜"),
    ("Meilin", "梅林"),
    ("Huafu", "华富"),
    ("Yitian", "益田"),
    ("Shazui", "沙嘴"),
    ("Xinzhou", "新洲"),
    ("Shangsha", "上沙"),
    ("Jingtian", "景田"),
    ("Shixia", "石厦"),
    ("Yuanling", "园岭"),
)
HK_PLACES = (
    ("Sha Tin", "沙田"),
    ("Tai Po", "大埔"),
    ("Tseung Kwan O", "將軍澳"),
    ("Pak Shek Kok", "白石角"),
    ("Kwun Tong", "觀塘"),
    ("Sheung Shui", "上水"),
    ("Fanling", "粉嶺"),
    ("Yuen Long", "元朗"),
    ("Tsing Yi", "青衣"),
    ("Lok Ma Chau", "落馬洲"),
)
HK_UNIVERSITIES = (
    ("Tolo Harbour University", "吐露港大學"),
    ("Kowloon Bay University of Science and Technology", "九龍灣科技大學"),
    ("Lantau Island University", "大嶼山大學"),
    ("Tai Mo Shan University", "大帽山大學"),
)
# Name patterns per kind, English then Chinese; {p} is a place, {f} a research field.
PATTERNS: dict[PartyKind, tuple[tuple[str, str], ...]] = {
    PartyKind.CSA_ENTERPRISE: (
        ("{p} {f} Technology Co., Ltd.", "深圳市{p}{f}科技有限公司"),
        ("{p} {f} Laboratory Co., Ltd.", "{p}{f}实验室有限公司"),
        ("Shenzhen {p} {f} Co., Ltd.", "深圳{p}{f}有限公司"),
    ),
    PartyKind.CSA_PUBLIC_INSTITUTION: (
        ("{p} Institute of {f}", "深圳市{p}{f}研究院"),
        ("{p} {f} Innovation Centre", "深圳{p}{f}创新中心"),
        ("{p} Laboratory for {f}", "{p}{f}实验室"),
    ),
    PartyKind.ST_PRIVATE_NON_ENTERPRISE: (
        ("{p} {f} Research Centre", "深圳市{p}{f}研究中心"),
        ("{p} {f} Research Institute", "深圳市{p}{f}研究所"),
    ),
    PartyKind.HK_INSTITUTION: (
        ("{p} {f} Laboratory Limited", "{p}{f}實驗室有限公司"),
        ("{p} Institute for {f} Limited", "{p}{f}研究所有限公司"),
        ("{p} {f} Research Centre Limited", "{p}{f}研究中心有限公司"),
    ),
    PartyKind.BROKER: (
        ("Shenzhen {p} Customs Brokerage Co., Ltd.", "深圳市{p}报关有限公司"),
        ("{p} Customs Declaration Services Co., Ltd.", "深圳市{p}报关服务有限公司"),
    ),
}
PASSENGER_CARRIER = (
    "Shenzhen {p} Cross-Boundary Passenger Transport Co., Ltd.",
    "深圳市{p}跨境客运有限公司",
)
GOODS_CARRIER = ("{p} Supply Chain Logistics Co., Ltd.", "深圳市{p}供应链物流有限公司")

BIO_FIELDS = frozenset({"biomedicine", "biotechnology", "life_sciences"})
DATA_FIELDS = frozenset({"ai", "data_science", "digital_economy", "fintech", "smart_city"})

# GB/T 2260 county-level division codes: researchers come to the zone from all over the country.
DIVISIONS = (
    "440304", "440305", "440306", "440106", "440111", "441302", "110101", "110108",
    "310104", "310110", "320106", "330106", "340104", "350203", "360102", "370102",
    "420111", "430104", "450103", "500106", "510107", "610113", "120104", "210202",
    "230103", "410105", "220104", "130102", "140105", "530102",
)  # fmt: skip

MAINLAND_FAMILY = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("罗", "Luo"), ("高", "Gao"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("邓", "Deng"), ("冯", "Feng"), ("韩", "Han"), ("曹", "Cao"), ("彭", "Peng"),
    ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"), ("袁", "Yuan"),
    ("蔡", "Cai"), ("蒋", "Jiang"), ("余", "Yu"), ("杜", "Du"), ("叶", "Ye"), ("程", "Cheng"),
    ("魏", "Wei"), ("苏", "Su"), ("丁", "Ding"), ("任", "Ren"), ("姚", "Yao"), ("沈", "Shen"),
    ("钟", "Zhong"), ("崔", "Cui"), ("谭", "Tan"), ("范", "Fan"), ("廖", "Liao"), ("石", "Shi"),
    ("金", "Jin"), ("夏", "Xia"), ("方", "Fang"), ("邹", "Zou"), ("熊", "Xiong"), ("白", "Bai"),
    ("孟", "Meng"), ("秦", "Qin"), ("邱", "Qiu"), ("侯", "Hou"), ("江", "Jiang"), ("薛", "Xue"),
    ("雷", "Lei"), ("龙", "Long"), ("黎", "Li"), ("陶", "Tao"), ("贺", "He"), ("顾", "Gu"),
)  # fmt: skip
MAINLAND_GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("华", "hua"), ("建", "jian"), ("文", "wen"),
    ("辉", "hui"), ("鑫", "xin"), ("宇", "yu"), ("浩", "hao"), ("晨", "chen"), ("欣", "xin"),
    ("怡", "yi"), ("佳", "jia"), ("子", "zi"), ("涵", "han"), ("睿", "rui"), ("博", "bo"),
    ("轩", "xuan"), ("思", "si"), ("嘉", "jia"), ("俊", "jun"), ("振", "zhen"), ("海", "hai"),
    ("志", "zhi"), ("毅", "yi"), ("琳", "lin"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"),
    ("晓", "xiao"), ("天", "tian"), ("泽", "ze"), ("瑞", "rui"), ("昊", "hao"), ("凯", "kai"),
    ("鹏", "peng"), ("峰", "feng"), ("颖", "ying"), ("倩", "qian"), ("航", "hang"), ("远", "yuan"),
    ("哲", "zhe"), ("彬", "bin"), ("诗", "shi"), ("卓", "zhuo"), ("翔", "xiang"), ("琪", "qi"),
    ("安", "an"), ("恩", "en"), ("欧", "ou"), ("蓉", "rong"), ("薇", "wei"), ("楠", "nan"),
)  # fmt: skip
# Hong Kong names: traditional characters with the Cantonese romanisation on HKIDs.
HK_FAMILY = (
    ("陳", "Chan"), ("李", "Lee"), ("張", "Cheung"), ("黃", "Wong"), ("何", "Ho"), ("林", "Lam"),
    ("梁", "Leung"), ("劉", "Lau"), ("吳", "Ng"), ("鄭", "Cheng"), ("麥", "Mak"), ("郭", "Kwok"),
    ("馮", "Fung"), ("曾", "Tsang"), ("羅", "Law"), ("蔡", "Choi"), ("鄧", "Tang"), ("葉", "Yip"),
    ("蕭", "Siu"), ("袁", "Yuen"), ("許", "Hui"), ("朱", "Chu"), ("盧", "Lo"), ("譚", "Tam"),
    ("潘", "Poon"), ("莫", "Mok"), ("施", "Sze"), ("文", "Man"), ("周", "Chow"), ("余", "Yu"),
)  # fmt: skip
HK_GIVEN = (
    ("嘉", "Ka"), ("偉", "Wai"), ("志", "Chi"), ("俊", "Chun"), ("詠", "Wing"), ("欣", "Yan"),
    ("浩", "Ho"), ("明", "Ming"), ("文", "Man"), ("子", "Tsz"), ("思", "Sze"), ("樂", "Lok"),
    ("朗", "Long"), ("美", "Mei"), ("健", "Kin"), ("雅", "Nga"), ("婷", "Ting"), ("卓", "Cheuk"),
    ("宇", "Yu"), ("晴", "Ching"), ("麗", "Lai"), ("耀", "Yiu"), ("輝", "Fai"), ("德", "Tak"),
    ("詩", "Sze"), ("曉", "Hiu"), ("家", "Ka"), ("慧", "Wai"), ("凱", "Hoi"), ("敏", "Man"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Country:
    """A nationality of foreign researchers, with its MRZ code and passport number shape."""

    alpha2: str
    #: ICAO 9303 code of the issuing state (Germany is "D", padded with "<").
    mrz: str
    #: ``#`` a digit, ``@`` a letter, ``*`` either; other characters stand for themselves.
    passport: str
    family: tuple[str, ...]
    #: Given names alternate male, female, so a name fits the sex printed in the MRZ.
    given: tuple[str, ...]


#: Per nationality: alpha-2, MRZ code and passport number shape; then family names; then given
#: names, which alternate male, female (Country's fields, in a table a reader can scan).
_COUNTRY_TABLE = """
GB GBR #########
    Hughes, Whitaker, Fletcher, Morgan, Clarke, Patel
    Oliver, Amelia, James, Charlotte, Thomas, Eleanor
US USA @########
    Carter, Nguyen, Brooks, Ramirez, Sullivan, Price
    Ethan, Olivia, Noah, Madison, Caleb, Grace
DE D<< C********
    Becker, Hoffmann, Wagner, Richter, Krause, Vogel
    Lukas, Anna, Felix, Lena, Jonas, Hannah
FR FRA ##@@#####
    Moreau, Laurent, Lefebvre, Girard, Bonnet, Roux
    Louis, Camille, Hugo, Chloe, Julien, Manon
JP JPN @@#######
    Sato, Takahashi, Watanabe, Yamamoto, Kobayashi
    Haruto, Yui, Sota, Aoi, Ren, Hina
KR KOR M########
    Kim, Park, Choi, Jung, Kang, Yoon
    Minjun, Seoyeon, Jiho, Hayoon, Dohyun, Jiwoo
SG SGP E#######@
    Tan, Lim, Goh, Teo, Ong, Koh
    Jun Jie, Wei Ling, Zhi Hao, Hui Min, Wei Jie, Xin Yi
AU AUS @@#######
    Walsh, Mitchell, Kelly, Harrison, Bennett
    Jack, Chloe, Liam, Isla, Cooper, Ruby
CA CAN @@######
    Tremblay, Gagnon, Roy, MacDonald, Campbell
    Liam, Emma, Owen, Ava, Logan, Zoe
IT ITA @@#######
    Rossi, Ferrari, Esposito, Bianchi, Romano
    Luca, Giulia, Marco, Sofia, Matteo, Chiara
IN IND @#######
    Sharma, Iyer, Gupta, Rao, Nair, Menon
    Aarav, Priya, Rohan, Ananya, Vikram, Kavya
NL NLD @@*******
    de Vries, Jansen, Bakker, Visser, Smit
    Daan, Sanne, Bram, Femke, Thijs, Lotte
"""


def _countries(table: str) -> tuple[Country, ...]:
    rows = table.strip().split("\n")
    countries = []
    for head, family, given in zip(rows[0::3], rows[1::3], rows[2::3], strict=True):
        alpha2, mrz, passport = head.split()
        names = tuple(family.strip().split(", ")), tuple(given.strip().split(", "))
        countries.append(Country(alpha2, mrz, passport, *names))
    return tuple(countries)


COUNTRIES = _countries(_COUNTRY_TABLE)

ROLES = (
    ("Principal investigator", 1),
    ("Research scientist", 4),
    ("Postdoctoral fellow", 3),
    ("Research engineer", 4),
    ("Research assistant", 3),
    ("PhD student", 2),
    ("Laboratory manager", 1),
    ("Visiting scholar", 1),
)

INFO_REQUESTS = (
    "Please attach the employment contract signed with the sponsor.",
    "Please name the research project and the goods to be hand-carried through Channel No. 1.",
    "The travel document on file expires within a month; please upload the renewed one.",
)
ANSWERS = (
    "Employment contract attached; the project reference is in the justification.",
    "Project and goods list added: reagents and sample tubes for the joint study.",
    "Renewed document uploaded.",
)
DECLINES = (
    "The sponsor could not confirm a research role in the customs-supervised area.",
    "The role described is administrative; the individual whitelist is for research staff.",
    "The affiliation with the sponsor ended before the review.",
)
SUSPENSIONS = (
    "Undeclared reagents found in hand luggage at Channel No. 1; suspended pending the result.",
    "The sponsor reported the affiliation under review.",
    "Identity document reported lost; suspended until it is replaced.",
)
REVOCATIONS = (
    "The sponsor reported that the employment ended.",
    "Repeated failure to declare hand-carried research goods.",
    "The researcher moved to a post outside the zone.",
)

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
HK_PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
