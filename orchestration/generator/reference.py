"""Fixed vocabularies of the demo retailer: cities, merchandise, names, survey comments."""

from __future__ import annotations

CITIES = [
    # city, region, postcode prefix
    ("Shanghai", "East", "200"),
    ("Hangzhou", "East", "310"),
    ("Nanjing", "East", "210"),
    ("Suzhou", "East", "215"),
    ("Beijing", "North", "100"),
    ("Tianjin", "North", "300"),
    ("Guangzhou", "South", "510"),
    ("Shenzhen", "South", "518"),
    ("Chengdu", "West", "610"),
    ("Chongqing", "West", "400"),
    ("Wuhan", "Central", "430"),
    ("Xi'an", "West", "710"),
]

STORE_FORMATS = ["hypermarket", "supermarket", "convenience", "department"]
STORE_FORMAT_WEIGHTS = [0.2, 0.45, 0.25, 0.1]

# department -> (categories, median list price)
MERCHANDISE = {
    "Fresh": (["Fruit", "Vegetables", "Meat", "Seafood", "Bakery"], 18.0),
    "Grocery": (["Rice & Noodles", "Snacks", "Beverages", "Condiments", "Breakfast"], 15.0),
    "Dairy & Frozen": (["Milk", "Yoghurt", "Frozen Meals", "Ice Cream"], 20.0),
    "Household": (["Cleaning", "Paper", "Kitchen", "Storage"], 35.0),
    "Beauty & Care": (["Skin Care", "Hair Care", "Oral Care", "Baby Care"], 60.0),
    "Electronics": (["Small Appliances", "Phone Accessories", "Audio"], 220.0),
    "Apparel": (["Women", "Men", "Kids", "Sportswear"], 150.0),
}

BRANDS = [
    "Lotus Fields", "Blue Harbour", "Golden Grain", "Mountain Spring", "Jade Kitchen",
    "Red Lantern", "Silk Road", "Panda Pure", "Urban Nest", "Northern Star",
    "Bamboo Home", "Pearl River", "Sunrise", "Cloud Nine", "Evergreen",
]
PRIVATE_LABEL = "Our Choice"

SURNAMES_ZH = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐")
GIVEN_ZH = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉")
FIRST_EN = [
    "James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Emma", "Daniel", "Grace",
    "Kevin", "Lucy", "Jason", "Anna", "Eric", "Helen",
]
LAST_EN = ["Smith", "Wang", "Li", "Chen", "Brown", "Taylor", "Wong", "Lee", "Martin", "Clark"]
EMAIL_DOMAINS = ["example.com", "example.cn", "example.org", "example.net"]

SEARCH_QUERIES = [
    "牛奶", "大米", "洗发水", "耳机", "运动鞋", "酸奶", "纸巾", "面包",
    "milk", "rice", "shampoo", "headphones", "sneakers", "yogurt", "coffee", "phone case",
]
PAGES = ["/", "/search", "/product", "/cart", "/checkout", "/promotions", "/account", "/help"]
REFERRERS = ["https://www.baidu.example/", "https://weibo.example/", "https://wechat.example/"]
UTM = [
    ("wechat", "social", "spring_sale"),
    ("weibo", "social", "member_day"),
    ("baidu", "cpc", "brand_search"),
    ("newsletter", "email", "winback"),
]
COUPON_CODES = ["WELCOME10", "MEMBER20", "SPRING15", "FREESHIP", "BDAY30"]

COMMENTS = {
    # sentiment -> language -> phrases
    "positive": {
        "zh": ["服务很好，下次还会再来", "商品质量不错，价格实惠", "配送很快，包装完好",
               "店员很热情"],
        "en": [
            "Great service, will come back",
            "Good quality for the price",
            "Fast delivery, well packed",
            "Friendly staff and clean store",
        ],
    },
    "neutral": {
        "zh": ["还可以，一般般", "价格有点贵", "排队时间有点长"],
        "en": ["It was okay", "A bit pricey", "Queue at the till was long"],
    },
    "negative": {
        "zh": ["配送太慢了，很失望", "商品有质量问题，退货麻烦", "客服态度差", "缺货严重"],
        "en": [
            "Delivery was late and nobody told me",
            "Product was faulty and the return took ages",
            "Rude customer service",
            "Items were out of stock again",
        ],
    },
}
