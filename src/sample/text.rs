//! Review texts and ticket subjects for the sample, in English and Chinese: clauses
//! about after-sales aspects drawn by rating, with delivery complaints growing
//! towards the end of the span so that rising complaints have something to show.
//! Drawn from their own random stream, so the other columns do not depend on them.

use super::Rng;

const NEGATIVE_EN: [(&str, &[&str]); 7] = [
    (
        "delivery",
        &[
            "The parcel arrived two weeks late",
            "Delivery was very slow",
            "The courier never showed up",
            "Tracking showed nothing for days",
            "Shipping took forever",
        ],
    ),
    (
        "quality",
        &[
            "It broke after one day",
            "Poor quality, the stitching came apart",
            "Arrived damaged",
            "Stopped working after a week",
            "Cheap material",
        ],
    ),
    (
        "service",
        &[
            "Customer service never replied",
            "Support was rude and unhelpful",
            "Nobody answered my messages",
            "The agent kept me waiting",
        ],
    ),
    (
        "returns",
        &[
            "The refund took weeks",
            "The return process was a hassle",
            "Still waiting for my refund",
            "They refused the return",
        ],
    ),
    (
        "price",
        &[
            "Overpriced for what you get",
            "Not worth the price",
            "Too expensive",
        ],
    ),
    (
        "packaging",
        &[
            "The box was crushed",
            "The packaging was torn open",
            "Badly packed",
        ],
    ),
    (
        "fit",
        &[
            "Wrong size sent",
            "The colour is different from the photos",
            "Smaller than described",
        ],
    ),
];

const NEGATIVE_ZH: [(&str, &[&str]); 7] = [
    (
        "delivery",
        &[
            "物流太慢了",
            "快递一个星期才到",
            "发货太慢",
            "快递员态度差",
            "物流信息一直不更新",
        ],
    ),
    (
        "quality",
        &[
            "质量很差",
            "用了两天就坏了",
            "做工粗糙",
            "有瑕疵",
            "材质很差",
        ],
    ),
    (
        "service",
        &["客服不回复", "客服态度很差", "售后没人理", "客服一直敷衍"],
    ),
    ("returns", &["退款到现在还没到", "退货太麻烦", "不给退货"]),
    ("price", &["价格太贵", "性价比低"]),
    ("packaging", &["包装破损", "盒子压坏了"]),
    ("fit", &["尺码不对", "颜色和图片不一样", "跟描述不符"]),
];

const NEUTRAL_EN: &[&str] = &[
    "OK product",
    "Average experience",
    "Delivery could be faster",
    "Does the job",
    "Nothing special",
];
const NEUTRAL_ZH: &[&str] = &["一般般", "还行", "物流有点慢", "凑合用", "中规中矩"];

const POSITIVE_EN: &[&str] = &[
    "Fast shipping",
    "Great quality",
    "Support solved my issue quickly",
    "Perfect, will buy again",
    "Arrived on time",
    "Well packaged",
    "Good value for money",
    "Exactly as described",
    "Friendly service",
];
const POSITIVE_ZH: &[&str] = &[
    "质量不错",
    "发货快",
    "物流很快",
    "非常满意，五星好评",
    "包装很好",
    "客服很耐心",
    "性价比高",
    "和描述一致",
    "会回购",
];

fn one<'a>(rng: &mut Rng, options: &[&'a str]) -> &'a str {
    options[rng.below(options.len() as u64) as usize]
}

/// A review's text for its rating; `late` is how far through the span it was
/// written (0–1). Some reviews have no text or only an emoji, as in real exports.
pub fn review(rng: &mut Rng, rating: u64, late: f64) -> String {
    let roll = rng.unit();
    if roll < 0.04 {
        return String::new();
    }
    if roll < 0.05 {
        return one(rng, &["👍", "😡😡", "!!!", "5星", "ok"]).to_string();
    }
    let chinese = rng.chance(0.45);
    let clauses: Vec<&str> = match rating {
        1 | 2 => {
            let pool = if chinese { &NEGATIVE_ZH } else { &NEGATIVE_EN };
            let weights: Vec<(&str, f64)> = pool
                .iter()
                .map(|(aspect, _)| {
                    let w = match *aspect {
                        "delivery" => 0.15 + 0.35 * late,
                        "quality" => 0.22,
                        "service" => 0.2,
                        "returns" => 0.14,
                        "price" => 0.06,
                        "packaging" => 0.06,
                        _ => 0.1,
                    };
                    (*aspect, w)
                })
                .collect();
            let count = 1 + rng.below(2);
            let mut out: Vec<&str> = Vec::new();
            for _ in 0..count {
                let aspect = rng.pick(&weights);
                let options = pool
                    .iter()
                    .find(|(a, _)| *a == aspect)
                    .map_or(&[][..], |p| p.1);
                let clause = one(rng, options);
                if !out.contains(&clause) {
                    out.push(clause);
                }
            }
            out
        }
        3 => vec![one(rng, if chinese { NEUTRAL_ZH } else { NEUTRAL_EN })],
        _ => {
            let pool = if chinese { POSITIVE_ZH } else { POSITIVE_EN };
            let first = one(rng, pool);
            let second = one(rng, pool);
            if rng.chance(0.4) && second != first {
                vec![first, second]
            } else {
                vec![first]
            }
        }
    };
    if chinese {
        clauses.join("，") + if rating <= 2 { "！" } else { "。" }
    } else {
        clauses.join(". ") + "."
    }
}

/// A ticket's subject for its category.
pub fn subject(rng: &mut Rng, category: &str) -> String {
    let options: &[&str] = match category {
        "delivery" => &[
            "Where is my order?",
            "Parcel not delivered yet",
            "Tracking not updating",
            "包裹还没到",
            "物流信息一直不更新",
            "Delivered to the wrong address",
        ],
        "return" => &[
            "How do I return this item?",
            "Return label request",
            "申请退货",
            "Wrong size, want to exchange",
            "退货地址是哪里",
        ],
        "refund" => &[
            "Refund not received",
            "When will I get my money back?",
            "退款还没到账",
            "Refund status",
            "申请退款",
        ],
        "quality" => &[
            "Item arrived broken",
            "Product stopped working",
            "质量有问题",
            "Missing parts",
            "商品有瑕疵",
        ],
        "complaint" => &[
            "Rude agent on the phone",
            "Nobody answers my emails",
            "投诉客服态度",
            "Very unhappy with the service",
            "要求赔偿",
        ],
        _ => &[
            "Change delivery address",
            "Invoice request",
            "开发票",
            "Question about warranty",
            "修改收货地址",
        ],
    };
    one(rng, options).to_string()
}
