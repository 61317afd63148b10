"""Words the synthetic worlds are written with: names, places, banks, brands.

Every entry that has a Chinese-script form carries it beside its pinyin or English form, so a
world can write one person or one place in either script and the truth still knows they are one.
"""

from __future__ import annotations

# (Chinese, pinyin). Ordered by how common the surname is; worlds weigh them by rank.
SURNAMES = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("罗", "Luo"), ("高", "Gao"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("许", "Xu"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"),
    ("彭", "Peng"), ("曾", "Zeng"), ("肖", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"),
    ("袁", "Yuan"), ("蔡", "Cai"), ("蒋", "Jiang"), ("余", "Yu"), ("于", "Yu"), ("杜", "Du"),
    ("叶", "Ye"), ("程", "Cheng"), ("魏", "Wei"), ("苏", "Su"), ("吕", "Lyu"), ("丁", "Ding"),
    ("任", "Ren"), ("卢", "Lu"), ("姚", "Yao"), ("沈", "Shen"), ("钟", "Zhong"), ("姜", "Jiang"),
    ("崔", "Cui"), ("谭", "Tan"), ("陆", "Lu"), ("范", "Fan"), ("汪", "Wang"), ("廖", "Liao"),
)  # fmt: skip

GIVEN = (
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"),
    ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"),
    ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("秀", "Xiu"),
    ("霞", "Xia"), ("平", "Ping"), ("刚", "Gang"), ("桂", "Gui"), ("英", "Ying"), ("华", "Hua"),
    ("建", "Jian"), ("文", "Wen"), ("辉", "Hui"), ("玲", "Ling"), ("鹏", "Peng"), ("飞", "Fei"),
    ("斌", "Bin"), ("宇", "Yu"), ("浩", "Hao"), ("凯", "Kai"), ("俊", "Jun"), ("帅", "Shuai"),
    ("婷", "Ting"), ("雪", "Xue"), ("琳", "Lin"), ("晨", "Chen"), ("欣", "Xin"), ("怡", "Yi"),
    ("佳", "Jia"), ("子", "Zi"), ("轩", "Xuan"), ("涵", "Han"), ("博", "Bo"), ("昊", "Hao"),
    ("海", "Hai"), ("志", "Zhi"), ("国", "Guo"), ("红", "Hong"), ("金", "Jin"), ("云", "Yun"),
    ("龙", "Long"), ("春", "Chun"), ("兰", "Lan"), ("梅", "Mei"), ("燕", "Yan"), ("峰", "Feng"),
)  # fmt: skip

# (province (cn, en) or None for a municipality, city (cn, en), region code of the resident
# ID, districts ((cn, en, postcode), ...)).
CITIES = (
    (("广东省", "Guangdong"), ("深圳市", "Shenzhen"), "440305",
     (("南山区", "Nanshan District", "518057"), ("福田区", "Futian District", "518048"),
      ("宝安区", "Bao'an District", "518101"), ("龙岗区", "Longgang District", "518172"),
      ("龙华区", "Longhua District", "518109"))),
    (("广东省", "Guangdong"), ("广州市", "Guangzhou"), "440106",
     (("天河区", "Tianhe District", "510620"), ("白云区", "Baiyun District", "510440"),
      ("番禺区", "Panyu District", "511400"))),
    (("广东省", "Guangdong"), ("东莞市", "Dongguan"), "441900",
     (("南城区", "Nancheng District", "523070"), ("长安镇", "Chang'an Town", "523850"))),
    (("浙江省", "Zhejiang"), ("杭州市", "Hangzhou"), "330106",
     (("西湖区", "Xihu District", "310012"), ("滨江区", "Binjiang District", "310051"))),
    (("浙江省", "Zhejiang"), ("义乌市", "Yiwu"), "330782",
     (("稠城街道", "Choucheng Subdistrict", "322000"),
      ("北苑街道", "Beiyuan Subdistrict", "322000"))),
    (None, ("上海市", "Shanghai"), "310115",
     (("闵行区", "Minhang District", "201100"), ("浦东新区", "Pudong New District", "200120"))),
    (("福建省", "Fujian"), ("厦门市", "Xiamen"), "350203",
     (("思明区", "Siming District", "361000"), ("湖里区", "Huli District", "361006"))),
    (("江苏省", "Jiangsu"), ("苏州市", "Suzhou"), "320506",
     (("吴中区", "Wuzhong District", "215100"), ("姑苏区", "Gusu District", "215000"))),
)  # fmt: skip
CITY_WEIGHTS = (40, 14, 8, 7, 6, 6, 4, 3)

ROAD_WORDS = (
    ("科苑", "Keyuan"), ("深南", "Shennan"), ("滨海", "Binhai"), ("学府", "Xuefu"),
    ("高新", "Gaoxin"), ("红荔", "Hongli"), ("布龙", "Bulong"), ("梅龙", "Meilong"),
    ("民治", "Minzhi"), ("西乡", "Xixiang"), ("福永", "Fuyong"), ("松白", "Songbai"),
    ("华强", "Huaqiang"), ("中山", "Zhongshan"), ("解放", "Jiefang"), ("人民", "Renmin"),
    ("建设", "Jianshe"), ("新华", "Xinhua"), ("迎宾", "Yingbin"), ("文化", "Wenhua"),
    ("东风", "Dongfeng"), ("黄埔", "Huangpu"), ("江南", "Jiangnan"), ("五一", "Wuyi"),
    ("青年", "Qingnian"), ("创业", "Chuangye"), ("科技", "Keji"), ("兴业", "Xingye"),
    ("金桥", "Jinqiao"), ("和平", "Heping"), ("宝民", "Baomin"), ("前进", "Qianjin"),
)  # fmt: skip
ROAD_TYPES = (("路", "Road"), ("路", "Road"), ("路", "Road"), ("大道", "Avenue"), ("街", "Street"))

# Parks and office buildings; their buildings are lettered (A栋, Tower A) or numbered.
PARKS = (
    ("天安数码城", "Tianan Cyber Park"), ("科兴科学园", "Kexing Science Park"),
    ("华丰智谷", "Huafeng Zhigu"), ("星河发展中心", "Xinghe Development Center"),
    ("宝能科技园", "Baoneng Tech Park"), ("恒裕中心", "Hengyu Center"),
    ("创新产业园", "Innovation Industrial Park"), ("智慧港", "Smart Harbour"),
    ("电商产业园", "E-commerce Industrial Park"), ("云谷", "Cloud Valley"),
    ("卓越大厦", "Excellence Building"), ("银河大厦", "Galaxy Building"),
    ("金汇大厦", "Jinhui Building"), ("海岸大厦", "Haian Building"),
    ("联华大厦", "Lianhua Building"), ("国际商务中心", "International Business Center"),
)  # fmt: skip
LOGISTICS_PARKS = (
    ("汇通物流园", "Huitong Logistics Park"), ("普洛斯物流园", "GLP Logistics Park"),
    ("顺达仓储中心", "Shunda Warehousing Center"), ("宝湾物流园", "Baowan Logistics Park"),
    ("平湖物流园", "Pinghu Logistics Park"), ("嘉里物流中心", "Kerry Logistics Center"),
)  # fmt: skip

US_WAREHOUSE_TOWNS = (
    ("Ontario", "CA", "91761"), ("Fontana", "CA", "92335"), ("Rancho Cucamonga", "CA", "91730"),
    ("City of Industry", "CA", "91745"), ("Edison", "NJ", "08817"), ("Jamaica", "NY", "11434"),
    ("Dallas", "TX", "75261"), ("Atlanta", "GA", "30354"), ("Hebron", "KY", "41048"),
)  # fmt: skip
US_STREETS = (
    "Francis", "Mission", "Etiwanda", "Jurupa", "Valley", "Haven", "Milliken", "Industrial",
    "Commerce", "Airport", "Logistics", "Distribution", "Gateway", "Enterprise",
)  # fmt: skip
US_STREET_TYPES = (("Street", ("St", "St.")), ("Avenue", ("Ave", "Ave.")),
                   ("Boulevard", ("Blvd", "Blvd.")), ("Road", ("Rd", "Rd.")))
UK_WAREHOUSE_TOWNS = (
    ("Manchester", "M17 1AB"), ("Coventry", "CV6 4BX"), ("Birmingham", "B76 1AA"),
    ("Milton Keynes", "MK1 1BU"), ("Leicester", "LE19 1WP"), ("Northampton", "NN4 7PB"),
)  # fmt: skip
UK_ESTATES = ("Trafford", "Prologis", "Magna", "Meridian", "Brackmills", "Centrum", "Kingsway")

# Company names: city + two words + trade + "Co., Ltd." (有限公司).
COMPANY_WORDS = (
    ("鑫", "Xin"), ("源", "Yuan"), ("华", "Hua"), ("泰", "Tai"), ("丰", "Feng"), ("盛", "Sheng"),
    ("佳", "Jia"), ("隆", "Long"), ("达", "Da"), ("宏", "Hong"), ("瑞", "Rui"), ("恒", "Heng"),
    ("博", "Bo"), ("凯", "Kai"), ("通", "Tong"), ("美", "Mei"), ("金", "Jin"), ("天", "Tian"),
    ("海", "Hai"), ("兴", "Xing"), ("创", "Chuang"), ("益", "Yi"), ("诚", "Cheng"), ("富", "Fu"),
    ("康", "Kang"), ("安", "An"), ("明", "Ming"), ("智", "Zhi"), ("汇", "Hui"), ("宇", "Yu"),
)  # fmt: skip
TRADES = (
    ("科技", "Technology"), ("贸易", "Trading"), ("电子商务", "E-commerce"),
    ("电子", "Electronics"), ("实业", "Industrial"), ("供应链", "Supply Chain"),
    ("进出口", "Import and Export"), ("网络科技", "Network Technology"),
)  # fmt: skip

MOBILE_PREFIXES = (
    "130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
    "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188",
    "189", "198", "199",
)  # fmt: skip
MAIL_DOMAINS = ("163.com", "126.com", "qq.com", "gmail.com", "outlook.com", "foxmail.com",
                "sina.com", "yeah.net", "139.com", "hotmail.com")

# (institution, account length)
BANKS = (
    ("ICBC", 19), ("China Construction Bank", 19), ("Agricultural Bank of China", 19),
    ("Bank of China", 16), ("China Merchants Bank", 16), ("Bank of Communications", 18),
    ("Ping An Bank", 17), ("Industrial Bank", 18), ("Postal Savings Bank of China", 19),
)  # fmt: skip
CARD_BINS = (("ICBC", "622202"), ("China Construction Bank", "621700"),
             ("Agricultural Bank of China", "622848"), ("Bank of China", "621661"),
             ("China Merchants Bank", "622588"), ("Bank of Communications", "622262"))
WALLETS = ("Alipay", "WeChat Pay", "Payoneer", "PingPong", "LianLian Pay", "WorldFirst")
# Payment service providers that issue collection accounts to agents.
COLLECTION_PROVIDERS = ("Payoneer", "PingPong", "LianLian Pay", "WorldFirst", "Airwallex")

MARKETPLACES = ("amazon.com", "amazon.co.uk", "amazon.de", "amazon.co.jp", "aliexpress",
                "ebay.com", "walmart.com", "shopee", "temu", "tiktok shop")
STORE_SUFFIXES = ("", "", " Official", " Store", " Direct", "-US", " Shop", " Official Store",
                  " Home", " Tech", " Global", "-EU")
BAN_REASONS = ("review manipulation", "counterfeit", "fraud", "intellectual property infringement",
               "identity verification failed")
OTHER_SUSPENSION_REASONS = ("listing policy violation", "late shipment rate", "IP complaint")

BRAND_HEADS = (
    "van", "lum", "nex", "zen", "aro", "ton", "max", "neo", "vox", "kin", "sol", "tec", "ora",
    "ugo", "mira", "evo", "ivo", "nova", "axo", "ori", "sky", "bel", "cor", "dar", "eco", "fin",
    "gal", "hex", "jet", "kor", "lux", "pix", "tri", "vel", "xen", "bao", "tao", "vic", "pur",
)  # fmt: skip
BRAND_TAILS = (
    "true", "pow", "go", "tek", "bee", "ly", "ra", "on", "ix", "eo", "ka", "zy", "io", "ta",
    "fy", "ro", "do", "bo", "mi", "ar", "el", "us", "ox", "ine", "ova", "pad", "cam", "fit",
)  # fmt: skip
BRAND_PREFIXES = ("x", "i", "go", "my", "e", "u", "the")
BRAND_SUFFIXES = ("pro", "direct", "official", "store", "hub", "tech", "us", "plus", "max", "life")
