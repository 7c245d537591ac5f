"""演示数据 — demo tickets for the organisation ``seed_demo`` builds: shops, category and
root-cause trees, tags, canned replies, customers and a year of tickets with conversations.

The services change one ticket at a time, with locks, audit rows and side effects; a year of
history is instead bulk-loaded here, leaving the rows as the services would have: numbers
from the monthly counters (which are moved on past them), ``search_text`` as
:func:`~tickets.services.lifecycle.search_text_for` computes it, an audit trail of events, and
timestamps that agree with each ticket's status. The same random seed gives the same data.
Rows go in through :func:`rows_insert` (``COPY`` on PostgreSQL), which ``manage.py bench``
shares with the vocabulary and the numbering for its much larger dataset.
"""

import datetime
import enum
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils import timezone

from staff.models import Staff, Team
from tickets.business_time import schedules_kept
from tickets.models import (
    Category,
    Customer,
    CustomerAccount,
    CustomerPhone,
    Macro,
    Message,
    Notification,
    RootCause,
    Shop,
    Tag,
    Ticket,
    TicketCounter,
    TicketEvent,
    normalise_phone,
)
from tickets.services.lifecycle import search_text_for
from tickets.services.sla import (
    sla_customer_message,
    sla_public_reply,
    sla_start,
    sla_status_changed,
    sla_sweep,
)

Status = Ticket.Status
Type = Ticket.Type
Channel = Ticket.Channel
Kind = TicketEvent.Kind
HOUR = 3600
DAY = 24 * HOUR
ENDED = (Status.RESOLVED, Status.CLOSED)
#: Open tickets, and those opened this recently, get SLA clocks, replayed through the SLA engine.
SLA_REPLAY_DAYS = 7

# ---------------------------------------------------------------------------------------------
# Vocabulary. Tables are laid out by hand (Chinese characters count double in line length).
# fmt: off

#: code, name, platform, buyer-id prefix, share of customers
DEMO_SHOPS = [
    ("yuejia-tmall", "悦家旗舰店", Shop.Platform.TMALL, "tb", 30),
    ("yuejia-jd", "悦家京东自营旗舰店", Shop.Platform.JD, "jd", 25),
    ("yuejia-taobao", "悦家生活馆", Shop.Platform.TAOBAO, "tb", 18),
    ("yuejia-douyin", "悦家抖音官方旗舰店", Shop.Platform.DOUYIN, "dy", 17),
    ("yuejia-home", "悦家官方商城", Shop.Platform.OWN_SITE, "yj", 10),
]
DEMO_SHOP_CODES = [code for code, *_rest in DEMO_SHOPS]

CATEGORIES = {
    "物流": ["延迟", "破损", "丢件", "错发漏发", "修改地址"],
    "商品质量": ["色差", "尺码不符", "功能故障", "做工瑕疵", "描述不符"],
    "售后": ["退货", "换货", "退款", "维修", "发票"],
    "账户与支付": ["无法登录", "支付失败", "优惠券", "会员积分"],
    "售前咨询": ["商品参数", "库存与发货", "价格与活动"],
    "服务": ["服务态度", "响应慢", "承诺未兑现"],
    "建议与反馈": ["产品建议", "服务建议"],
}
ROOT_CAUSES = {
    "仓储物流": ["承运商延误", "仓库发货延迟", "仓库错发", "包装不当", "快递员服务"],
    "商品": ["供应商质量", "详情页描述不符", "设计缺陷"],
    "服务流程": ["承诺未兑现", "响应超时", "流程缺陷"],
    "系统": ["支付通道故障", "优惠规则配置错误", "短信通道故障"],
    "顾客原因": ["误操作", "无理由退换"],
}
TAGS = [
    "加急", "VIP", "差评风险", "重复来电", "大促", "需回访", "赔付", "12315投诉",
    "媒体曝光风险", "缺货", "预售", "企业客户", "英文客户", "老客户", "首单",
]

PRODUCTS = [
    "全棉四件套", "记忆棉枕头", "乳胶床垫", "羽绒被", "空气炸锅", "智能电饭煲",
    "保温杯", "陶瓷餐具套装", "香薰加湿器", "扫地机器人", "收纳箱三件套",
    "电热水壶", "竹纤维浴巾", "折叠晾衣架", "北欧落地灯", "懒人沙发", "儿童学习桌",
]
COURIERS = ["顺丰", "中通", "圆通", "韵达", "京东物流", "申通", "极兔", "EMS"]
AMOUNTS = ["39", "59", "89", "129", "199", "259", "299", "399", "599", "899", "1299"]


@dataclass(frozen=True)
class Story:
    """One kind of customer problem: how the ticket reads, how the customer first put it,
    and how it is filed and resolved. Placeholders: {product} {order} {courier} {days}
    {amount}."""

    subject: str
    says: str
    category: str
    root_cause: str | None
    resolution: str


S = Story
STORIES: dict[str, list[Story]] = {
    Type.LOGISTICS: [
        S("订单{order}物流{days}天未更新",
          "你好，我买的{product}物流{days}天没动了，到底什么时候能到？",
          "延迟", "承运商延误", "已联系{courier}加急派送，顾客次日签收。"),
        S("{courier}显示已签收，但本人没收到",
          "快递显示已经签收了，可我根本没收到，家里人也说没有，麻烦查一下。",
          "丢件", "快递员服务", "经{courier}核实为快递员误签，已为顾客补发，顾客已收到。"),
        S("收到的包裹外箱破损，{product}摔坏了",
          "今天收到货，外箱压扁了，{product}摔坏了一角，照片已经发给你们了。",
          "破损", "包装不当", "已为顾客补发{product}，破损件无需寄回。"),
        S("催发货：下单{days}天还没发出",
          "下单都{days}天了还没发货，页面写的48小时内发货，怎么回事？",
          "延迟", "仓库发货延迟", "已催促仓库当天发出，并把物流单号告知顾客。"),
        S("收到的商品和订单不一致，疑似发错货",
          "我买的是{product}，收到的却是别的东西，是不是发错货了？",
          "错发漏发", "仓库错发", "已安排上门取件，并重新发出正确商品。"),
    ],
    Type.RETURN_EXCHANGE: [
        S("收到商品有破损，要求换货",
          "收到的{product}有裂痕，要求换一个新的。",
          "换货", "包装不当", "已为顾客办理换货，新品已发出，运费由我方承担。"),
        S("{product}尺码不合适，申请退货",
          "{product}比页面写的尺寸小，用不了，我要退货。",
          "尺码不符", "详情页描述不符", "已同意退货，仓库签收后退款{amount}元已原路退回。"),
        S("{product}颜色与图片不符，要求换货",
          "收到的{product}颜色和图片差太多了，能换吗？",
          "色差", "详情页描述不符", "已为顾客换货，并提醒运营更新详情页图片。"),
        S("退货已寄回{days}天，还没退款",
          "我退货{days}天前就寄回去了，单号也填了，为什么还没退款？",
          "退款", "响应超时", "仓库已签收退货，退款{amount}元已原路退回。"),
        S("七天无理由退货，运费谁承担",
          "{product}还没拆封，我不想要了，七天无理由退货运费谁出？",
          "退货", "无理由退换", "已说明七天无理由退货规则，运费险可抵扣，顾客已申请退货。"),
    ],
    Type.AFTERSALES: [
        S("{product}使用一周出现故障",
          "{product}才用了一周就不工作了，怎么处理？",
          "功能故障", "供应商质量", "已安排换新，故障件寄回检测。"),
        S("{product}无法开机，申请保修",
          "{product}突然开不了机，还在保修期内，能修吗？",
          "维修", "设计缺陷", "已登记保修并上门取件，维修后7个工作日内寄回。"),
        S("退款{amount}元什么时候到账",
          "申请的退款{amount}元显示已同意，钱什么时候能到？",
          "退款", None, "已告知退款原路返回，1-3个工作日到账，顾客已确认收到。"),
        S("申请开具增值税专用发票",
          "公司报销需要专票，订单{order}可以开吗？",
          "发票", None, "已开具电子专票并发送至顾客邮箱。"),
        S("{product}有明显做工瑕疵",
          "{product}边上开线了，做工太粗糙了。",
          "做工瑕疵", "供应商质量", "已补偿30元无门槛优惠券，顾客接受不退货。"),
    ],
    Type.COMPLAINT: [
        S("投诉：客服承诺的退款未到账",
          "上周客服说三天内退款，现在还没到账，你们说话不算数！",
          "承诺未兑现", "承诺未兑现", "财务已加急退款，主管致电致歉并补偿20元优惠券。"),
        S("投诉：快递员态度恶劣",
          "{courier}的快递员打电话态度很差，还不肯送上楼。",
          "服务态度", "快递员服务", "已向{courier}网点投诉，网点致电道歉，顾客表示接受。"),
        S("投诉：{product}质量差，要求赔偿",
          "{product}用了两天就坏了，耽误我事情，要求赔偿！",
          "功能故障", "供应商质量", "已全额退款并赠送50元优惠券，顾客撤销差评。"),
        S("投诉：问题{days}天没人处理",
          "同一个问题我打了好几次电话，{days}天了都没人处理，我要找你们主管。",
          "响应慢", "响应超时", "主管已回电说明原因并全程跟进，问题已解决。"),
        S("投诉：商品宣传与实物严重不符",
          "详情页写的是纯棉，收到的{product}明显有化纤，这是虚假宣传。",
          "描述不符", "详情页描述不符", "已为顾客全额退款，详情页描述已更正。"),
    ],
    Type.PRESALES: [
        S("{product}有没有现货，多久能发货",
          "请问{product}现在有货吗？今天下单什么时候能发？",
          "库存与发货", None, "已告知有现货，16点前下单当天发出。"),
        S("{product}的尺寸和材质咨询",
          "{product}具体尺寸是多少？是什么材质的？",
          "商品参数", None, "已发送商品参数表，顾客已下单。"),
        S("大促活动价能不能保价",
          "我前两天买的{product}，现在降价了，能退差价吗？",
          "价格与活动", None, "已按价保规则退差价{amount}元。"),
        S("买两件{product}有没有优惠",
          "如果买两件{product}能便宜点吗？",
          "价格与活动", None, "已推荐店铺满减活动，顾客已下单。"),
        S("企业采购{product}，咨询批量价格",
          "我们公司想采购一批{product}，大概两百件，有团购价吗？",
          "价格与活动", None, "已转大客户经理对接，报价单已发送。"),
    ],
    Type.CONSULTATION: [
        S("订单{order}要修改收货地址",
          "订单{order}地址填错了，还没发货，能帮我改一下吗？",
          "修改地址", "误操作", "已在发货前为顾客修改收货地址。"),
        S("优惠券无法使用",
          "领的满减券结算时用不了，提示不满足条件。",
          "优惠券", "优惠规则配置错误", "已核实为优惠券配置错误，补发同等金额优惠券。"),
        S("账号无法登录，收不到验证码",
          "登录一直收不到短信验证码，试了好几次了。",
          "无法登录", "短信通道故障", "短信通道已恢复，顾客已正常登录。"),
        S("支付失败但银行卡已扣款",
          "付款时提示失败，但是银行卡扣了{amount}元，订单也没生成。",
          "支付失败", "支付通道故障", "已核实为重复扣款，款项已原路退回。"),
        S("会员积分怎么兑换",
          "我的积分有两千多，怎么兑换东西？",
          "会员积分", None, "已指导顾客在会员中心兑换积分。"),
        S("咨询{product}的清洗保养方法",
          "{product}可以机洗吗？平时怎么保养？",
          "商品参数", None, "已发送清洗保养说明。"),
    ],
    Type.SUGGESTION: [
        S("建议：{product}增加更多颜色",
          "{product}挺好用的，希望多出几个颜色。",
          "产品建议", None, "已记录建议并转产品部。"),
        S("建议：物流信息能否更及时",
          "每次物流更新都很慢，希望能有短信提醒。",
          "服务建议", None, "已记录建议并转物流部评估。"),
        S("建议：包装可以更环保一些",
          "包装用了太多泡沫，希望能环保一点。",
          "产品建议", None, "已反馈包装团队，感谢顾客建议。"),
        S("建议：客服在线时间延长到晚上12点",
          "晚上十点以后就找不到客服了，希望延长在线时间。",
          "服务建议", None, "已记录建议并转客服中心评估排班。"),
    ],
}
del S

GREETING = "亲，您好，我是悦家客服{agent}，很高兴为您服务。"
FIRST_REPLIES = {
    Type.LOGISTICS:
        "已经帮您查到包裹目前在{courier}中转站，我这边马上联系快递加急处理，"
        "有进展第一时间通知您哦。",
    Type.RETURN_EXCHANGE:
        "非常抱歉给您带来不好的体验，麻烦您拍一下商品照片发给我，我这边马上为您登记售后。",
    Type.AFTERSALES: "给您添麻烦了，方便提供一下故障的照片或视频吗？我帮您登记处理。",
    Type.COMPLAINT:
        "非常抱歉让您有这样的体验，您反映的问题我已经详细记录，会在24小时内给您明确答复。",
    Type.PRESALES: "这款{product}目前有现货的哦，16点前付款当天发出，有任何问题都可以随时问我。",
    Type.CONSULTATION: "您的问题我已经收到，这边马上为您核实处理，请稍等片刻。",
    Type.SUGGESTION: "非常感谢您的宝贵建议，我们已经记录下来并反馈给相关部门。",
}
FOLLOW_UPS = [
    "亲，已经为您加急处理了，预计1-3个工作日内完成，请您耐心等待。",
    "亲，您反馈的问题我们一直在跟进，有结果会第一时间通知您。",
    "已为您提交专员处理，处理结果会短信通知您，请留意。",
    "给您带来不便非常抱歉，我们这边会尽快为您解决。",
]
ASK_CUSTOMER = "亲，麻烦您提供一下订单截图和商品照片，方便我们为您核实处理哦。"
CLOSING = "问题已为您处理完毕：{resolution}如还有其他问题欢迎随时联系我们，祝您生活愉快！"
CUSTOMER_FOLLOW_UPS = [
    "好的，谢谢。", "那麻烦快一点，我挺着急的。", "还要等多久？", "照片已经发过去了，你们看一下。",
    "行，那我再等等。", "都说了好几次了，能不能尽快解决？", "有人吗？怎么没人回复？",
]
CUSTOMER_CHASE = "有人吗？怎么没人回复？"
NOTES = [
    "已联系{courier}网点核实，预计明天派送。",
    "顾客情绪比较激动，有差评倾向，注意安抚。",
    "已提交仓库补发，补发单号待回传。",
    "财务确认退款已原路退回，1-3个工作日到账。",
    "同一顾客本周第二次来电，建议优先处理。",
    "已和主管沟通，同意补偿20元优惠券。",
]
WAITING_INTERNAL_NOTE = "已提交仓库和财务核实，等待回复后再答复顾客。"

COMPLAINT_DEMANDS = [
    "要求全额退款并赔偿", "要求道歉并更换快递", "要求换新", "要求主管回电说明",
    "要求补偿优惠券", "要求三天内解决",
]
RESPONSIBLE_DEPARTMENTS = ["仓储物流部", "品控部", "客服中心", "财务部", "售后服务部", "电商运营部"]
REMEDIES = [
    "全额退款并补偿20元优惠券", "补发新品，运费由我方承担", "主管致电道歉，赠送会员积分500",
    "加急退款并补偿10元红包", "上门取件换新",
]

#: group name (as seed_demo creates it; None: every group) → canned replies (title, text)
MACROS: dict[str | None, list[tuple[str, str]]] = {
    None: [
        ("开场问候",
         "您好{customer_name}，我是悦家客服{agent_name}，很高兴为您服务，请问有什么可以帮您？"),
        ("稍等安抚", "亲，您的问题我正在为您核实，请稍等片刻，{agent_name}马上回复您。"),
        ("结束语",
         "感谢您的耐心等待，{customer_name}。工单{ticket_number}已处理完毕，"
         "如还有其他问题欢迎随时联系我们，祝您生活愉快！"),
        ("满意度邀请",
         "{customer_name}您好，工单{ticket_number}已解决，麻烦您在稍后的短信里为"
         "{agent_name}的服务打个分，感谢支持！"),
    ],
    "售前一组": [
        ("现货与发货",
         "{customer_name}您好，这款商品目前有现货，16点前付款当天发出，一般2-3天送达。"),
        ("价保说明",
         "亲，下单后15天内商品降价可申请价保，您把订单号发给{agent_name}，我帮您申请差价。"),
    ],
    "售前二组": [
        ("价保说明",
         "亲，下单后15天内商品降价可申请价保，您把订单号发给{agent_name}，我帮您申请差价。"),
        ("英文接待",
         "Hello {customer_name}, this is {agent_name} from Yuejia customer service. "
         "How may I help you?"),
    ],
    "在线咨询组": [
        ("修改地址",
         "亲，订单发货前可以修改地址，麻烦您提供新的收货地址，{agent_name}马上为您修改。"),
        ("优惠券说明",
         "{customer_name}您好，优惠券需满足使用门槛且在有效期内，部分特价商品不参与，"
         "请您核对一下哦。"),
    ],
    "售后一组": [
        ("退货流程",
         "{customer_name}您好，退货申请已通过，请在7天内寄回，包裹内附上写有工单号"
         "{ticket_number}的纸条，仓库签收后1-3个工作日退款。"),
        ("物流催促",
         "亲，已为您联系快递加急处理，工单{ticket_number}会持续跟进，有进展{agent_name}"
         "第一时间通知您。"),
        ("破损补发",
         "非常抱歉商品破损给您带来不便，{customer_name}，已为您安排补发，破损件无需寄回。"),
    ],
    "投诉处理组": [
        ("投诉致歉",
         "{customer_name}您好，我是投诉专员{agent_name}，对这次不愉快的经历我们深表歉意，"
         "您的投诉（工单{ticket_number}）我会全程跟进，24小时内给您答复。"),
        ("补偿方案",
         "{customer_name}您好，经核实问题属实，我们为您提供以下补偿方案：____，"
         "请问您是否接受？"),
    ],
    "电话回访组": [
        ("回访开场",
         "您好，请问是{customer_name}吗？我是悦家客服{agent_name}，来电想回访一下您之前"
         "反馈的问题（工单{ticket_number}），现在方便说话吗？"),
        ("未接通短信",
         "{customer_name}您好，我是悦家客服{agent_name}，今天致电回访工单"
         "{ticket_number}未能接通，如有需要请回电400-800-1234。"),
    ],
}

#: ticket type → (group, weight); phone calls other than pre-sales and complaints go to
#: the phone group
GROUPS_BY_TYPE = {
    Type.PRESALES: [("售前一组", 6), ("售前二组", 4)],
    Type.CONSULTATION: [("在线咨询组", 9), ("售前二组", 1)],
    Type.LOGISTICS: [("售后一组", 1)],
    Type.RETURN_EXCHANGE: [("售后一组", 1)],
    Type.AFTERSALES: [("售后一组", 1)],
    Type.COMPLAINT: [("投诉处理组", 1)],
    Type.SUGGESTION: [("在线咨询组", 1)],
}
PHONE_GROUP = "电话回访组"
TYPE_WEIGHTS = {
    Type.CONSULTATION: 22, Type.PRESALES: 16, Type.LOGISTICS: 17, Type.RETURN_EXCHANGE: 14,
    Type.AFTERSALES: 13, Type.COMPLAINT: 9, Type.SUGGESTION: 4,
}
CHANNEL_WEIGHTS = {
    Shop.Platform.TMALL: {"im": 55, "phone": 15, "api": 12, "chat": 10, "social": 4, "email": 4},
    Shop.Platform.TAOBAO: {"im": 60, "phone": 12, "api": 12, "chat": 10, "social": 6},
    Shop.Platform.JD: {"im": 50, "phone": 22, "api": 15, "chat": 8, "email": 5},
    Shop.Platform.DOUYIN: {"im": 55, "social": 22, "phone": 10, "api": 8, "chat": 5},
    Shop.Platform.OWN_SITE: {"chat": 35, "wechat": 25, "phone": 20, "email": 14, "onsite": 6},
}
PRIORITY_WEIGHTS = {"P1": 2, "P2": 12, "P3": 70, "P4": 16}
COMPLAINT_PRIORITY_WEIGHTS = {"P1": 12, "P2": 38, "P3": 45, "P4": 5}
#: how long until a first reply, by channel (seconds, low-high)
RESPONSE_DELAY = {
    "phone": (5, 90), "onsite": (5, 120), "chat": (5, 80), "im": (5, 90),
    "wechat": (60, 3600), "social": (300, 4 * HOUR), "email": (1800, 20 * HOUR),
    "api": (600, 8 * HOUR),
}
#: how long the work takes after the first reply (seconds, low-high), by type
RESOLUTION_TIME = {
    Type.PRESALES: (120, 4 * HOUR), Type.CONSULTATION: (120, 6 * HOUR),
    Type.SUGGESTION: (600, DAY), Type.LOGISTICS: (4 * HOUR, 3 * DAY),
    Type.RETURN_EXCHANGE: (DAY, 7 * DAY), Type.AFTERSALES: (12 * HOUR, 10 * DAY),
    Type.COMPLAINT: (DAY, 6 * DAY),
}
#: (age in days below which, {status: weight}): recent tickets are still being worked on
STATUS_BY_AGE = [
    (1, {"new": 30, "open": 35, "pending_customer": 10, "pending_internal": 5, "resolved": 20}),
    (3, {"new": 6, "open": 30, "pending_customer": 12, "pending_internal": 6, "resolved": 30,
         "closed": 16}),
    (7, {"new": 1, "open": 14, "pending_customer": 10, "pending_internal": 5, "resolved": 30,
         "closed": 40}),
    (14, {"new": 0.2, "open": 4, "pending_customer": 4, "pending_internal": 3, "resolved": 24,
          "closed": 65}),
    (30, {"new": 0.1, "open": 1, "pending_customer": 1, "pending_internal": 1, "resolved": 10,
          "closed": 87}),
    (90, {"open": 0.1, "pending_customer": 0.1, "pending_internal": 0.1, "resolved": 1.5,
          "closed": 98.2}),
    (math.inf, {"resolved": 0.5, "closed": 99.5}),
]
#: share of each hour of the day in a day's tickets (Asia/Shanghai)
HOUR_WEIGHTS = [2, 1, 1, 0.5, 0.5, 0.5, 1, 3, 6, 9, 10, 10, 8, 8, 9, 9, 8, 7, 7, 8, 9, 9, 7, 4]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋"
GIVEN_NAMES = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰",
    "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "文", "晨", "悦",
    "欣怡", "子涵", "浩然", "雨桐", "思远", "佳琪", "一鸣", "梓萱", "宇航", "诗涵",
    "俊杰", "婷婷", "嘉怡", "志强", "晓燕", "小美", "建华", "丽华", "国庆", "海燕",
    "玉兰", "春梅", "红霞", "晓东", "立新", "雪梅", "冬梅", "振华", "子轩", "紫涵",
    "梦瑶", "思琪", "宇轩", "家豪", "佳怡", "心怡", "嘉伟", "晓红", "秀兰",
]
NICKNAMES = [
    "xiaomei", "dawei", "lili", "tiantian", "xiaoyu", "mengmeng", "jiajia", "ahua",
    "xiaolong", "yueyue", "qianqian", "haohao", "xinxin", "lele", "doudou", "nannan",
    "xiaobai", "feifei", "chenchen", "yangyang", "wenwen", "tingting", "xiaoqi", "ajun",
    "xiaofeng", "dandan", "huanhuan", "jingjing", "lanlan", "ningning", "ruirui", "shanshan",
    "weiwei", "xiaoxiao", "yanyan", "momo", "kiki", "coco", "lucky", "sunny", "candy", "amy",
]
MOBILE_PREFIXES = [f"{a}{b}" for a in "358" for b in "0123456789"]
MAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "gmail.com"]
COMPANY_CITIES = ["杭州", "上海", "深圳", "广州", "成都", "苏州", "南京", "武汉"]
COMPANY_WORDS = ["优品", "鑫达", "华联", "众诚", "恒信", "嘉禾", "云帆", "博雅"]
COMPANY_KINDS = [
    ("贸易有限公司", "零售"), ("酒店管理有限公司", "酒店"), ("物业服务有限公司", "物业"),
    ("教育科技有限公司", "教育"), ("餐饮管理有限公司", "餐饮"),
]
# fmt: on


def chinese_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def mobile_number(rng: random.Random) -> str:
    """An 11-digit mainland mobile number (13x, 15x, 18x)."""
    return f"1{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def order_reference(rng: random.Random, platform: str, at: datetime.datetime) -> str:
    """An order number shaped like the platform's own."""
    if platform in (Shop.Platform.TAOBAO, Shop.Platform.TMALL):
        return str(rng.randrange(2 * 10**18, 4 * 10**18))
    if platform == Shop.Platform.JD:
        return str(rng.randrange(2 * 10**11, 3 * 10**11))
    if platform == Shop.Platform.DOUYIN:
        return f"69{rng.randrange(10**16, 10**17)}"
    return f"YJ{timezone.localtime(at):%Y%m%d}{rng.randrange(10**5):05d}"


@dataclass
class StoryText:
    """A story told for one ticket, with its placeholders filled in."""

    story: Story
    subject: str
    says: str
    description: str
    resolution: str
    order_ref: str
    values: dict


def story_tell(
    rng: random.Random, ticket_type: str, *, platform: str, at: datetime.datetime
) -> StoryText:
    story = rng.choice(STORIES[ticket_type])
    needs_order = "{order}" in story.subject + story.says
    has_order = needs_order or ticket_type not in (Type.PRESALES, Type.SUGGESTION)
    if ticket_type == Type.CONSULTATION:
        has_order = needs_order or rng.random() < 0.4
    order = order_reference(rng, platform, at) if has_order else ""
    values = {
        "product": rng.choice(PRODUCTS),
        "order": order,
        "courier": rng.choice(COURIERS),
        "days": rng.randint(2, 7),
        "amount": rng.choice(AMOUNTS),
    }
    says = story.says.format(**values)
    description = f"{says}\n订单号：{order}" if order and order not in says else says
    return StoryText(
        story=story,
        subject=story.subject.format(**values),
        says=says,
        description=description,
        resolution=story.resolution.format(**values),
        order_ref=order,
        values=values,
    )


def weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# ---------------------------------------------------------------------------------------------
# Bulk loading: plain rows straight into the tables


def row_defaults(model: type[models.Model]) -> dict[str, object]:
    """Each column's default value, by attname: where a row for :func:`rows_insert` starts."""
    defaults = {}
    for model_field in model._meta.concrete_fields:
        value = model_field.get_default()
        defaults[model_field.attname] = value.value if isinstance(value, enum.Enum) else value
    return defaults


def ids_reserve(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for ``count`` new rows, ascending. On PostgreSQL they are drawn from the
    table's sequence, so concurrent inserts cannot take them; SQLite holds its write lock
    from the start of the transaction (``transaction_mode = IMMEDIATE``)."""
    if count <= 0:
        return []
    opts = model._meta
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [opts.db_table, opts.pk.column, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
    highest = model.objects.aggregate(highest=models.Max("pk"))["highest"] or 0
    return list(range(highest + 1, highest + 1 + count))


def rows_insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert rows of plain values (in the order of ``columns``, by attname) into
    ``model``'s table: ``COPY`` on PostgreSQL, ``executemany`` elsewhere. This skips what
    ``bulk_create`` does per value, and with it ``auto_now`` stamps, signals and history —
    it is for bulk loads of text, numbers, booleans, date-times and JSON. Returns the count."""
    opts = model._meta
    fields = [opts.get_field(column) for column in columns]
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    names = ", ".join(quote(model_field.column) for model_field in fields)
    adapters = [
        (position, adapter)
        for position, model_field in enumerate(fields)
        if (adapter := _column_adapter(model_field)) is not None
    ]

    def adapted(row: Sequence) -> Sequence:
        if not adapters:
            return row
        row = list(row)
        for position, adapter in adapters:
            if row[position] is not None:
                row[position] = adapter(row[position])
        return row

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(adapted(row))
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(fields))
        statement = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"  # noqa: S608 - quoted model names
        chunk: list[Sequence] = []
        for row in rows:
            chunk.append(adapted(row))
            if len(chunk) == 5000:
                cursor.executemany(statement, chunk)
                count, chunk = count + len(chunk), []
        if chunk:
            cursor.executemany(statement, chunk)
            count += len(chunk)
    return count


def _column_adapter(model_field: models.Field) -> Callable | None:
    if isinstance(model_field, models.JSONField):
        encoder = model_field.encoder
        return lambda value: json.dumps(value, cls=encoder)
    if connection.vendor == "postgresql":
        return None  # psycopg adapts dates and times itself
    if isinstance(model_field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(model_field, models.DateField):
        return connection.ops.adapt_datefield_value
    return None


class SearchText:
    """``search_text_for`` of a ticket with the given details, computed on one reused unsaved
    ticket and customer (building two model instances per row would double a load's time)."""

    def __init__(self) -> None:
        self._ticket, self._customer = Ticket(), Customer()

    def __call__(
        self, *, subject: str, description: str, order_ref: str, customer_name: str
    ) -> str:
        self._ticket.subject, self._ticket.description = subject, description
        self._ticket.order_ref, self._customer.name = order_ref, customer_name
        return search_text_for(self._ticket, self._customer)


def tree_leaves_ensure(model: type[Category | RootCause], tree: dict[str, list[str]]) -> dict:
    """Create the two-level tree (where missing); leaf name → node."""
    leaves = {}
    for parent_name, children in tree.items():
        parent, _created = model.objects.get_or_create(name=parent_name, parent=None)
        for name in children:
            leaves[name] = model.objects.get_or_create(name=name, parent=parent)[0]
    return leaves


@transaction.atomic
def ticket_numbers_allot(moments: Sequence[datetime.datetime]) -> list[str]:
    """Numbers CS-YYYYMM-NNNNNN for tickets created at ``moments`` (any order): within a
    month in order of creation, after what the month's counter already gave out. The
    counters are locked and moved past them, so ``ticket_create`` never reuses one."""
    periods = [timezone.localtime(moment).strftime("%Y%m") for moment in moments]
    TicketCounter.objects.bulk_create(
        [TicketCounter(period=period) for period in sorted(set(periods))], ignore_conflicts=True
    )
    counters = {
        counter.period: counter
        for counter in TicketCounter.objects.select_for_update().filter(period__in=set(periods))
    }
    numbers = [""] * len(moments)
    for index in sorted(range(len(moments)), key=moments.__getitem__):
        counter = counters[periods[index]]
        counter.last += 1
        numbers[index] = f"CS-{counter.period}-{counter.last:06d}"
    TicketCounter.objects.bulk_update(counters.values(), ["last"])
    return numbers


def spread_moments(
    rng: random.Random, count: int, *, now: datetime.datetime, days: int = 365
) -> list[datetime.datetime]:
    """``count`` moments over the last ``days`` days, oldest first: more on busy days (growth
    over the year, 618 and 双11, a quiet Spring Festival) and at busy hours of the day."""
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now).date()
    day_list = [today - datetime.timedelta(days=back) for back in range(days)]
    day_weights = [
        (1.0 - 0.3 * back / days) * _season(day) * (0.9 if day.weekday() >= 5 else 1.0)
        for back, day in enumerate(day_list)
    ]
    midnights = {
        day: datetime.datetime.combine(day, datetime.time(), tzinfo=zone) for day in day_list
    }
    hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
    moments = []
    for day, hour in zip(rng.choices(day_list, weights=day_weights, k=count), hours, strict=True):
        moment = midnights[day] + datetime.timedelta(seconds=hour * HOUR + rng.randrange(HOUR))
        if moment >= now:
            moment = now - datetime.timedelta(seconds=rng.randrange(60, 12 * HOUR))
        moments.append(moment)
    moments.sort()
    return moments


def _season(day: datetime.date) -> float:
    month_day = (day.month, day.day)
    if (11, 1) <= month_day <= (11, 20):
        return 2.6 if (11, 11) <= month_day <= (11, 16) else 1.6
    if (6, 1) <= month_day <= (6, 22):
        return 2.0 if (6, 18) <= month_day <= (6, 21) else 1.3
    if (12, 10) <= month_day <= (12, 15):
        return 1.3
    if (2, 5) <= month_day <= (2, 25):
        return 0.6
    return 1.0


def duration_between(
    rng: random.Random, low: float, high: float, *, log: bool = True
) -> datetime.timedelta:
    """A duration between ``low`` and ``high`` seconds; log-uniform: most are short."""
    seconds = (
        math.exp(rng.uniform(math.log(low), math.log(high))) if log else rng.uniform(low, high)
    )
    return datetime.timedelta(seconds=seconds)


# ---------------------------------------------------------------------------------------------
# The demo loader


class DemoOrganisationMissing(LookupError):
    """The groups ``seed_demo`` creates, or their agents on post, are not in the database."""


def demo_tickets_exist() -> bool:
    return Ticket.objects.filter(shop__code__in=DEMO_SHOP_CODES).exists()


@transaction.atomic
def demo_tickets_load(
    *,
    customers: int = 2000,
    tickets: int = 20000,
    seed: int = 2026,
    now: datetime.datetime | None = None,
) -> int:
    """Load the demo shops, trees, tags and canned replies, ``customers`` customers and
    ``tickets`` tickets over the twelve months before ``now``, for the groups ``seed_demo``
    creates. Does nothing and returns 0 when demo tickets are already there; else returns
    how many tickets it added."""
    if demo_tickets_exist():
        return 0
    loader = _DemoLoader(
        rng=random.Random(seed),  # noqa: S311 - demo data, not security
        now=now or timezone.now(),
    )
    return loader.load(customer_count=customers, ticket_count=tickets)


def _written(rng: random.Random, digits: str) -> str:
    """A mobile number as someone typed it in."""
    roll = rng.random()
    if roll < 0.8:
        return digits
    if roll < 0.9:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    if roll < 0.95:
        return f"+86 {digits}"
    return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"


MESSAGE_COLUMNS = ["ticket_id", "kind", "author_id", "body", "channel", "created_at"]
EVENT_COLUMNS = ["ticket_id", "kind", "actor_id", "from_status", "to_status", "data", "created_at"]
TICKET_DEFAULTS = row_defaults(Ticket)
CUSTOMER_DEFAULTS = row_defaults(Customer)


@dataclass
class _Plan:
    """One ticket before it is written: its row, conversation, trail and tags."""

    ticket: dict
    messages: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)

    def say(self, kind: str, body: str, at: datetime.datetime, author: Staff | None) -> None:
        channel = self.ticket["channel"] if kind == Message.Kind.CUSTOMER else ""
        author_id = author.pk if author else None
        self.messages.append((self.ticket["id"], kind, author_id, body, channel, at))

    def record(
        self,
        kind: str,
        at: datetime.datetime,
        actor: Staff | None,
        from_status: str = "",
        to_status: str = "",
        **data,
    ) -> None:
        actor_id = actor.pk if actor else None
        self.events.append((self.ticket["id"], kind, actor_id, from_status, to_status, data, at))

    @property
    def last_message_at(self) -> datetime.datetime:
        return max(message[-1] for message in self.messages)


class _DemoLoader:
    def __init__(self, *, rng: random.Random, now: datetime.datetime) -> None:
        self.rng = rng
        self.now = now
        self.search_text = SearchText()

    def load(self, *, customer_count: int, ticket_count: int) -> int:
        self._organisation()
        self._reference_data()
        moments = spread_moments(self.rng, ticket_count, now=self.now)
        owners = self._owners(customer_count, ticket_count)
        self._customers(customer_count, owners=owners, moments=moments)
        numbers = ticket_numbers_allot(moments)
        ids = ids_reserve(Ticket, ticket_count)
        plans = [
            self._ticket(pk, number, moment, owner)
            for pk, number, moment, owner in zip(ids, numbers, moments, owners, strict=True)
        ]
        self._write(plans)
        self._sla_replay(plans)
        return len(plans)

    # -- the organisation and reference data ---------------------------------------------------

    def _organisation(self) -> None:
        names = {name for routes in GROUPS_BY_TYPE.values() for name, _weight in routes}
        names.add(PHONE_GROUP)
        self.groups = {
            team.name: team
            for team in Team.objects.filter(name__in=names, kind=Team.Kind.GROUP).select_related(
                "leader", "parent__leader"
            )
        }
        if missing := names - set(self.groups):
            raise DemoOrganisationMissing(
                f"Demo groups missing: {', '.join(sorted(missing))}. Run seed_demo."
            )
        by_id = {team.pk: name for name, team in self.groups.items()}
        self.agents: dict[str, list[Staff]] = defaultdict(list)
        on_post = Staff.objects.filter(
            team__in=self.groups.values(),
            role=Staff.Role.SPECIALIST,
            status=Staff.Status.ON_POST,
            onboarding_passed=True,
        ).order_by("employee_number")
        for agent in on_post:
            self.agents[by_id[agent.team_id]].append(agent)
        if idle := sorted(name for name in names if not self.agents[name]):
            raise DemoOrganisationMissing(f"No agents on post in {', '.join(idle)}.")

    def _reference_data(self) -> None:
        self.shops = []
        for code, name, platform, prefix, weight in DEMO_SHOPS:
            shop, _created = Shop.objects.get_or_create(
                code=code, defaults={"name": name, "platform": platform}
            )
            self.shops.append((shop, prefix, weight))
        self.categories = tree_leaves_ensure(Category, CATEGORIES)
        self.root_causes = tree_leaves_ensure(RootCause, ROOT_CAUSES)
        self.tags = {name: Tag.objects.get_or_create(name=name)[0] for name in TAGS}
        for group_name, replies in MACROS.items():
            team = self.groups[group_name] if group_name else None
            for title, body in replies:
                Macro.objects.get_or_create(title=title, team=team, defaults={"body": body})

    # -- customers ------------------------------------------------------------------------------

    def _owners(self, customer_count: int, ticket_count: int) -> list[int]:
        """Which customer raised each ticket: a few customers write often, most once or twice."""
        weights = [1 / (rank + 0.15 * customer_count) for rank in range(customer_count)]
        self.rng.shuffle(weights)
        return self.rng.choices(range(customer_count), weights=weights, k=ticket_count)

    def _customers(
        self, count: int, *, owners: list[int], moments: list[datetime.datetime]
    ) -> None:
        rng = self.rng
        first_ticket_at: dict[int, datetime.datetime] = {}
        self.ticket_counts: dict[int, int] = defaultdict(int)
        for owner, moment in zip(owners, moments, strict=True):
            first_ticket_at.setdefault(owner, moment)
            self.ticket_counts[owner] += 1
        # Regulars raise twice the average number of tickets.
        self.regular_from = max(2, 2 * len(owners) / max(count, 1))
        self.customers: list[dict] = []
        self.customer_shops: dict[int, list[Shop]] = defaultdict(list)
        phones, accounts, tag_links = [], [], []
        numbers_given: list[str] = []
        buyer_ids: set[tuple[int, str]] = set()
        shop_weights = [weight for _shop, _prefix, weight in self.shops]
        for index, pk in enumerate(ids_reserve(Customer, count)):
            joined = first_ticket_at.get(index, self.now) - duration_between(rng, HOUR, 700 * DAY)
            customer = dict(
                CUSTOMER_DEFAULTS,
                id=pk,
                name=chinese_name(rng),
                created_at=joined,
                updated_at=joined,
            )
            suffix = rng.choice(["", str(rng.randrange(100)), str(1970 + rng.randrange(40))])
            nick = rng.choice(NICKNAMES) + suffix
            if rng.random() < 0.3:
                customer["email"] = f"{nick}@{rng.choice(MAIL_DOMAINS)}"
            if rng.random() < 0.03:
                kind, industry = rng.choice(COMPANY_KINDS)
                customer["company"] = rng.choice(COMPANY_CITIES) + rng.choice(COMPANY_WORDS) + kind
                customer["industry"] = industry
                tag_links.append((pk, self.tags["企业客户"].pk))
            regular = self.ticket_counts[index] >= self.regular_from
            if (regular and rng.random() < 0.3) or rng.random() < 0.03:
                customer["tier"] = "SVIP" if rng.random() < 0.2 else "VIP"
                tag_links.append((pk, self.tags["VIP"].pk))
            if regular:
                tag_links.append((pk, self.tags["老客户"].pk))
            self.customers.append(customer)
            # Some people register twice, or a family shares a phone: likely duplicates.
            if numbers_given and rng.random() < 0.03:
                numbers = {rng.choice(numbers_given)}
            else:
                numbers = {mobile_number(rng) for _ in range(2 if rng.random() < 0.1 else 1)}
            for number in sorted(numbers):
                numbers_given.append(number)
                written = _written(rng, number)
                phones.append((pk, written, normalise_phone(written)))
            picked = rng.choices(self.shops, weights=shop_weights, k=rng.choice([1, 1, 2]))
            for shop, prefix, _weight in dict.fromkeys(picked):
                buyer_id = f"{prefix}_{nick}"
                while (shop.pk, buyer_id) in buyer_ids:
                    buyer_id = f"{prefix}_{nick}{rng.randrange(1000)}"
                buyer_ids.add((shop.pk, buyer_id))
                accounts.append((pk, shop.pk, buyer_id))
                self.customer_shops[index].append(shop)
        columns = list(CUSTOMER_DEFAULTS)
        rows_insert(Customer, columns, ([row[c] for c in columns] for row in self.customers))
        rows_insert(CustomerPhone, ["customer_id", "number", "normalised"], phones)
        rows_insert(CustomerAccount, ["customer_id", "shop_id", "buyer_id"], accounts)
        rows_insert(Customer.tags.through, ["customer_id", "tag_id"], tag_links)

    # -- tickets -------------------------------------------------------------------------------

    def _status(self, opened: datetime.datetime) -> str:
        age_days = (self.now - opened).total_seconds() / DAY
        for below, weights in STATUS_BY_AGE:
            if age_days < below:
                return weighted(self.rng, weights)
        raise AssertionError("STATUS_BY_AGE ends with infinity")

    def _ticket(self, pk: int, number: str, opened: datetime.datetime, owner: int) -> _Plan:
        rng = self.rng
        customer = self.customers[owner]
        shop = rng.choice(self.customer_shops[owner])
        ticket_type = weighted(rng, TYPE_WEIGHTS)
        channel = weighted(rng, CHANNEL_WEIGHTS[shop.platform])
        if channel == Channel.PHONE and ticket_type not in (Type.PRESALES, Type.COMPLAINT):
            group_name = PHONE_GROUP
        else:
            group_name = weighted(rng, dict(GROUPS_BY_TYPE[ticket_type]))
        status = self._status(opened)
        agent = None if status == Status.NEW else rng.choice(self.agents[group_name])
        complaint = ticket_type == Type.COMPLAINT
        text = story_tell(rng, ticket_type, platform=shop.platform, at=opened)
        ticket = dict(
            TICKET_DEFAULTS,
            id=pk,
            number=number,
            subject=text.subject,
            description=text.description,
            type=ticket_type,
            channel=channel,
            priority=weighted(rng, COMPLAINT_PRIORITY_WEIGHTS if complaint else PRIORITY_WEIGHTS),
            status=status,
            team_id=self.groups[group_name].pk,
            customer_id=customer["id"],
            shop_id=shop.pk,
            order_ref=text.order_ref,
            opened_at=opened,
            created_at=opened,
            created_by_id=agent.pk if agent and channel in ("phone", "onsite") else None,
            search_text=self.search_text(
                subject=text.subject,
                description=text.description,
                order_ref=text.order_ref,
                customer_name=customer["name"],
            ),
        )
        if complaint:
            ticket["complaint_reason"] = text.says
            ticket["customer_demand"] = rng.choice(COMPLAINT_DEMANDS)
            ticket["severity"] = weighted(rng, {"minor": 55, "major": 35, "critical": 10})
        plan = _Plan(ticket)
        self._conversation(plan, text, group=self.groups[group_name], agent=agent)
        self._tag(plan, owner, group_name)
        return plan

    def _conversation(
        self, plan: _Plan, text: StoryText, *, group: Team, agent: Staff | None
    ) -> None:
        """Messages, events and timestamps, consistent with the ticket's status."""
        rng, ticket = self.rng, plan.ticket
        opened, status = ticket["opened_at"], ticket["status"]
        latest = self.now - datetime.timedelta(minutes=1)
        creator = agent if ticket["created_by_id"] else None
        plan.record(Kind.CREATED, opened, creator, channel=ticket["channel"])
        plan.say(Message.Kind.CUSTOMER, text.says, opened, None)
        if agent is None:
            if rng.random() < 0.25 and latest - opened > datetime.timedelta(minutes=20):
                chase = opened + (latest - opened) * rng.uniform(0.3, 0.9)
                plan.say(Message.Kind.CUSTOMER, CUSTOMER_CHASE, chase, None)
            ticket["updated_at"] = plan.last_message_at
            return

        ended = status in ENDED
        to_response = duration_between(rng, *RESPONSE_DELAY[ticket["channel"]])
        if ticket["priority"] == Ticket.Priority.P1:
            to_response /= 3
        to_resolve = to_response + duration_between(rng, *RESOLUTION_TIME[ticket["type"]])
        to_close = to_resolve + duration_between(rng, DAY / 2, 7 * DAY, log=False)
        span = to_close if status == Status.CLOSED else to_resolve if ended else to_response
        if opened + span > latest:  # squeeze the story into the time there was
            scale = (latest - opened) / span * rng.uniform(0.5, 0.95)
            to_response, to_resolve, to_close = (
                to_response * scale,
                to_resolve * scale,
                to_close * scale,
            )
        responded = opened + to_response
        ticket["assignee_id"] = agent.pk
        ticket["assigned_at"] = opened + to_response * rng.uniform(0.2, 0.9)
        ticket["first_response_at"] = responded
        work_ends = opened + to_resolve if ended else latest
        if rng.random() < 0.8 or group.leader is None:
            plan.record(
                Kind.CLAIMED, ticket["assigned_at"], agent, Status.NEW, Status.OPEN,
                to=agent.name, previous="",
            )  # fmt: skip
        else:
            plan.record(
                Kind.ASSIGNED, ticket["assigned_at"], group.leader, Status.NEW, Status.OPEN,
                to=agent.name, previous="",
            )  # fmt: skip
        middle = rng.choices([0, 1, 2, 3], weights=[40, 30, 20, 10])[0]
        answered_at_once = ended and middle == 0 and rng.random() < 0.4
        first_reply = GREETING.format(agent=agent.name) + FIRST_REPLIES[ticket["type"]]
        if answered_at_once:
            first_reply += CLOSING.format(resolution=text.resolution)
        plan.say(Message.Kind.REPLY, first_reply.format(**text.values), responded, agent)
        for at in sorted(
            responded + (work_ends - responded) * rng.uniform(0.05, 0.9) for _ in range(middle)
        ):
            if rng.random() < 0.15:
                plan.say(Message.Kind.NOTE, rng.choice(NOTES).format(**text.values), at, agent)
                continue
            plan.say(Message.Kind.CUSTOMER, rng.choice(CUSTOMER_FOLLOW_UPS), at, None)
            answered = at + duration_between(rng, *RESPONSE_DELAY[ticket["channel"]])
            if answered < work_ends:
                plan.say(Message.Kind.REPLY, rng.choice(FOLLOW_UPS), answered, agent)

        escalation_chance = 0.25 if ticket["type"] == Type.COMPLAINT else 0.04
        if group.leader is not None and rng.random() < escalation_chance:
            at = responded + (work_ends - responded) * 0.5
            ticket["escalation_level"], ticket["escalated_to_id"] = 1, group.leader.pk
            plan.record(Kind.ESCALATED, at, agent, level=1, to=group.leader.name,
                        reason="顾客要求主管处理")  # fmt: skip
            manager = group.parent.leader if group.parent else None
            if manager is not None and rng.random() < 0.3:
                at += (work_ends - at) * 0.3
                ticket["escalation_level"], ticket["escalated_to_id"] = 2, manager.pk
                plan.record(Kind.ESCALATED, at, group.leader, level=2, to=manager.name,
                            reason="顾客不接受处理方案，升级至部门经理")  # fmt: skip

        if status in (Status.PENDING_CUSTOMER, Status.PENDING_INTERNAL):
            last = plan.last_message_at
            at = last + (latest - last) * rng.uniform(0.05, 0.5)
            if status == Status.PENDING_CUSTOMER:
                plan.say(Message.Kind.REPLY, ASK_CUSTOMER, at, agent)
            else:
                plan.say(Message.Kind.NOTE, WAITING_INTERNAL_NOTE, at, agent)
            plan.record(Kind.STATUS, at, agent, Status.OPEN, status)

        if ended or rng.random() < 0.5:
            ticket["category_id"] = self.categories[text.story.category].pk
        if ended:
            resolved_at = opened + to_resolve
            self._resolve(plan, text, agent, resolved_at=resolved_at, reply=not answered_at_once)
        if status == Status.CLOSED:
            ticket["closed_at"] = opened + to_close
            by_system = rng.random() < 0.7  # closed when the callback window ran out
            plan.record(
                Kind.CLOSED, ticket["closed_at"], None if by_system else agent,
                Status.RESOLVED, Status.CLOSED, reason="",
            )  # fmt: skip
        ticket["updated_at"] = max(
            max(message[-1] for message in plan.messages), max(event[-1] for event in plan.events)
        )

    def _resolve(
        self,
        plan: _Plan,
        text: StoryText,
        agent: Staff,
        *,
        resolved_at: datetime.datetime,
        reply: bool,
    ) -> None:
        rng, ticket = self.rng, plan.ticket
        if reply:
            before = resolved_at - datetime.timedelta(seconds=rng.randrange(30, 600))
            closing_at = min(max(plan.last_message_at, before), resolved_at)
            closing = CLOSING.format(resolution=text.resolution)
            plan.say(Message.Kind.REPLY, closing, closing_at, agent)
        if rng.random() < 0.03:  # the customer came back once before it stuck
            responded = ticket["first_response_at"]
            first_resolved = responded + (resolved_at - responded) / 3
            reopened = first_resolved + (resolved_at - first_resolved) / 3
            plan.record(Kind.RESOLVED, first_resolved, agent, Status.OPEN, Status.RESOLVED)
            plan.record(Kind.REOPENED, reopened, agent, Status.RESOLVED, Status.OPEN,
                        reason="顾客反馈问题未解决")  # fmt: skip
            ticket["reopen_count"] = 1
        plan.record(Kind.RESOLVED, resolved_at, agent, Status.OPEN, Status.RESOLVED)
        ticket["resolved_at"] = resolved_at
        ticket["resolution_summary"] = text.resolution
        root_cause = text.story.root_cause
        if root_cause and (ticket["type"] == Type.COMPLAINT or rng.random() < 0.5):
            ticket["root_cause_id"] = self.root_causes[root_cause].pk
        if ticket["type"] == Type.COMPLAINT:
            ticket["responsible_department"] = rng.choice(RESPONSIBLE_DEPARTMENTS)
            ticket["remedy"] = rng.choice(REMEDIES)

    def _tag(self, plan: _Plan, owner: int, group_name: str) -> None:
        rng, ticket = self.rng, plan.ticket
        customer = self.customers[owner]
        chances = {
            "加急": 0.7 if ticket["priority"] == Ticket.Priority.P1 else 0,
            "VIP": 1 if customer["tier"] else 0,
            "企业客户": 1 if customer["company"] else 0,
            "重复来电": 0.3 if self.ticket_counts[owner] >= self.regular_from else 0,
            "大促": 0.6 if _season(timezone.localtime(ticket["opened_at"]).date()) > 1.2 else 0,
            "需回访": 0.3 if group_name == PHONE_GROUP else 0,
            "英文客户": 0.1 if group_name == "售前二组" else 0,
        }
        if ticket["type"] == Type.COMPLAINT:
            chances.update({"差评风险": 0.45, "12315投诉": 0.04, "媒体曝光风险": 0.02})
            chances["赔付"] = 0.5 if ticket["remedy"] else 0
        if ticket["type"] == Type.PRESALES:
            chances.update({"缺货": 0.08, "预售": 0.05, "首单": 0.1})
        plan.tags = {name for name, chance in chances.items() if rng.random() < chance}

    def _write(self, plans: list[_Plan]) -> None:
        columns = list(TICKET_DEFAULTS)
        rows_insert(Ticket, columns, ([plan.ticket[c] for c in columns] for plan in plans))
        rows_insert(Message, MESSAGE_COLUMNS, (m for plan in plans for m in plan.messages))
        rows_insert(TicketEvent, EVENT_COLUMNS, (e for plan in plans for e in plan.events))
        rows_insert(
            Ticket.tags.through,
            ["ticket_id", "tag_id"],
            (
                (plan.ticket["id"], self.tags[name].pk)
                for plan in plans
                for name in sorted(plan.tags)
            ),
        )

    def _sla_replay(self, plans: list[_Plan]) -> None:
        """Run the recent tickets' conversations through the SLA engine, in order, so their
        clocks, due times and SLA states are what live traffic would have left; then one
        sweep marks what is at risk or breached now. Those alerts are history: they show
        in the bell but are not emailed."""
        since = self.now - datetime.timedelta(days=SLA_REPLAY_DAYS)
        recent = [
            plan
            for plan in plans
            if plan.ticket["opened_at"] >= since or plan.ticket["status"] not in ENDED
        ]
        tickets = Ticket.objects.select_related("customer").in_bulk(
            [plan.ticket["id"] for plan in recent]
        )
        with schedules_kept():
            self._sla_replay_each(recent, tickets)
        sla_sweep(now=self.now)
        Notification.objects.filter(emailed_at__isnull=True).update(email_wanted=False)

    def _sla_replay_each(self, plans: list[_Plan], tickets: dict[int, Ticket]) -> None:
        for plan in plans:
            ticket = tickets[plan.ticket["id"]]
            ticket.status = Status.NEW
            sla_start(ticket, now=ticket.opened_at)
            steps = [(m[-1], 0, m[1], None) for m in plan.messages[1:]]
            steps += [(e[-1], 1, e[1], e[4]) for e in plan.events if e[4]]
            for at, _order, kind, to_status in sorted(steps, key=lambda step: step[:2]):
                if kind == Message.Kind.REPLY:
                    sla_public_reply(ticket, at=at)
                elif kind == Message.Kind.CUSTOMER:
                    sla_customer_message(ticket, at=at)
                elif to_status is not None:
                    from_status, ticket.status = ticket.status, to_status
                    sla_status_changed(ticket, from_status=from_status, at=at)
