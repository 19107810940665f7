//! A deterministic generator of realistic Chatwoot data: several inboxes, resolved and anonymous
//! (web-widget) contacts, sales and support conversations with agent replies, private notes,
//! attachment-only messages (null content), activity messages and HTML/markdown bodies.
//! The same [`Scenario`] always yields the same world.
use std::collections::BTreeMap;

use serde_json::json;

use super::world::{
    Account, Agent, Attachment, Contact, Conversation, Inbox, Message, Sender, World,
};

/// What to generate for one account.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Chatwoot account id.
    pub account_id: i64,
    /// Account name.
    pub account_name: String,
    /// Seed of the pseudo-random generator.
    pub seed: u64,
    /// Contacts with an email, phone or identifier (returned by the contact list).
    pub contacts: usize,
    /// Anonymous web-widget visitors (only visible as a conversation's `meta.sender`).
    pub anonymous_contacts: usize,
    /// Conversations (each anonymous visitor gets one; the rest go to resolved contacts).
    pub conversations: usize,
    /// Average messages per conversation; the total is exactly
    /// `conversations * messages_per_conversation`.
    pub messages_per_conversation: usize,
    /// Unix seconds of the earliest activity.
    pub start_unix: i64,
}

impl Scenario {
    /// A small world for integration tests (hundreds of messages, a few pages of everything).
    pub fn small(account_id: i64) -> Self {
        Self {
            account_id,
            account_name: "Acme Support".to_owned(),
            seed: 7,
            contacts: 40,
            anonymous_contacts: 8,
            conversations: 60,
            messages_per_conversation: 9,
            start_unix: 1_736_154_000, // 2025-01-06T09:00:00Z
        }
    }

    /// The local demo workspace's world.
    pub fn demo(account_id: i64) -> Self {
        Self {
            account_id,
            account_name: "Northwind Traders".to_owned(),
            seed: 42,
            contacts: 120,
            anonymous_contacts: 25,
            conversations: 220,
            messages_per_conversation: 14,
            start_unix: 1_736_154_000,
        }
    }

    /// A world with exactly `total_messages` messages in conversations of ~50 messages
    /// (the ingestion benchmark).
    pub fn with_total_messages(account_id: i64, total_messages: usize) -> Self {
        let conversations = total_messages.div_ceil(50).max(1);
        Self {
            account_id,
            account_name: "Benchmark Co".to_owned(),
            seed: 1_000,
            contacts: (conversations * 3 / 4).max(1),
            anonymous_contacts: conversations / 8,
            conversations,
            messages_per_conversation: total_messages / conversations,
            start_unix: 1_736_154_000,
        }
    }
}

/// SplitMix64: tiny, fast and deterministic; good enough for fixtures.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (`lo` when the range is empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next() % (hi - lo) as u64) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64) as usize]
    }

    fn chance(&mut self, percent: i64) -> bool {
        self.range(0, 100) < percent
    }

    fn uuid(&mut self) -> String {
        let a = self.next();
        let b = self.next();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            (b >> 48) | 0x8000,
            b & 0xffff_ffff_ffff
        )
    }
}

const FIRST: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sofia", "Lucas", "Mia", "Ethan", "Amelia",
    "Hiro", "Priya", "Jonas", "Fatima", "Diego", "Chloe", "Arjun", "Ingrid", "Kwame", "Lea",
    "Tomasz", "Yuki", "Rafael",
];
const LAST: &[&str] = &[
    "Garcia", "Schmidt", "Okafor", "Rossi", "Nakamura", "Silva", "Dubois", "Kowalski", "Patel",
    "Andersen", "Haddad", "Murphy", "Novak", "Kim", "Moreau", "Costa", "Jensen", "Iyer",
];
const COMPANIES: &[&str] = &[
    "Bluefin Logistics",
    "Cobalt Labs",
    "Driftwood Hotels",
    "Evergreen Dental",
    "Foxglove Media",
    "Granite Insurance",
    "Harbor Foods",
    "Ionic Solar",
    "Juniper Retail",
    "Kestrel Aviation",
    "Lumen Clinics",
    "Mosaic Schools",
];
const CITIES: &[(&str, &str)] = &[
    ("Berlin", "Germany"),
    ("Lisbon", "Portugal"),
    ("Austin", "United States"),
    ("Toronto", "Canada"),
    ("Bangalore", "India"),
    ("Lagos", "Nigeria"),
    ("Osaka", "Japan"),
    ("Warsaw", "Poland"),
    ("Lyon", "France"),
    ("Sao Paulo", "Brazil"),
];
const ADJ: &[&str] = &[
    "small", "broken", "silent", "wild", "misty", "bold", "ancient", "lucky",
];
const NOUN: &[&str] = &[
    "frost", "sun", "river", "meadow", "cloud", "ember", "pine", "harbor",
];
const PLANS: &[&str] = &["starter", "growth", "business", "enterprise"];
const LABELS: &[&str] = &[
    "lead",
    "renewal",
    "billing",
    "bug",
    "vip",
    "churn-risk",
    "onboarding",
];

/// A topic: name, customer lines (the first opens), agent replies, private notes.
type Topic = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

/// Opening lines and follow-ups by topic; `{company}`, `{plan}`, `{seats}` are filled in.
const TOPICS: &[Topic] = &[
    (
        "pricing",
        &[
            "Hi, we're evaluating tools for our support team at {company}. What does the {plan} plan cost for {seats} seats?",
            "Do you offer a discount if we pay annually for {seats} agents?",
            "Is there a cap on conversations per month on the {plan} plan?",
            "Could you send a formal quote? Our finance team needs it before Friday.",
            "We'd also need SSO. Is that included or an add-on?",
        ],
        &[
            "Thanks for reaching out! For {seats} seats on **{plan}** it's $39 per agent per month, billed annually.",
            "Annual billing gives you 2 months free. I can also add a 10% launch discount this quarter.",
            "<p>There's no cap on conversations. Here's the comparison:</p><ul><li>Starter: email + chat</li><li>Growth: + WhatsApp, automations</li></ul>",
            "I've attached the quote; it's valid for 30 days.",
            "SSO (SAML) is included from the business plan upwards.",
        ],
        &[
            "Budget approved for Q2 per their CFO; push for annual.",
            "Competitor in play (they mentioned Zendesk). Offer migration help.",
        ],
    ),
    (
        "renewal",
        &[
            "Our {plan} subscription renews next month. Can we reduce it to {seats} seats?",
            "We're unhappy with the response times lately, honestly considering other options.",
            "If you can match last year's price we'll renew for two years.",
            "Who should I talk to about the invoice? It has the wrong VAT number.",
        ],
        &[
            "Of course, I can adjust the seat count before the renewal date.",
            "Sorry to hear that. I've escalated this and our success manager will call you tomorrow.",
            "Let me check with our billing team and come back to you today.",
            "I've corrected the VAT number and re-issued the invoice.",
        ],
        &[
            "Churn risk: mentioned alternatives twice. Loop in CSM.",
            "Renewal value ~$18k ARR; approve up to 15% discount.",
        ],
    ),
    (
        "support",
        &[
            "The WhatsApp inbox stopped receiving messages since this morning.",
            "Hello? Anyone there? Our agents can't log in.",
            "I get an error 'token expired' when I connect the API channel.",
            "Thanks, that fixed it! One more thing: how do I export reports?",
            "Still broken for two of our agents.",
        ],
        &[
            "Thanks for the report. Could you share a screenshot of the inbox settings?",
            "We had a short outage on our side; it's resolved now. Can you try again?",
            "Please regenerate the access token under *Profile settings* and reconnect.",
            "Reports can be exported as CSV from **Reports > Conversations**.",
            "Could you tell me which browser they use? Clearing the cache usually helps.",
        ],
        &[
            "Reproduced on staging, bug filed as ENG-2231.",
            "Customer is on an old app version; suggested update.",
        ],
    ),
    (
        "onboarding",
        &[
            "We just signed up. How do we import our existing contacts?",
            "Can we connect two email addresses to the same inbox?",
            "Is there a way to auto-assign conversations round robin?",
            "Great, the import worked. We have {seats} agents starting Monday.",
        ],
        &[
            "Welcome aboard! You can import a CSV under Contacts > Import.",
            "Each inbox maps to one address, but you can forward the second one into it.",
            "Yes: enable *Auto assignment* in the inbox's collaborator settings.",
            "Happy to run a 30 minute onboarding call for the team; here's my calendar link.",
        ],
        &["Good expansion potential: parent company has 4 more brands."],
    ),
    (
        "refund",
        &[
            "Hi, the blender I ordered arrived with a cracked jar and the motor won't start. I'd like my money back, not a replacement.",
            "My kettle stopped heating after two weeks. Is it still covered by your return policy?",
            "I sent the toaster back ten days ago and the refund still isn't on my card.",
            "Do I have to pay for the return shipping myself?",
            "Can the refund go to a different card? The one I paid with has expired.",
        ],
        &[
            "I'm sorry about that! I've issued a full refund of $89; it should be on your card within 5-7 business days.",
            "Appliances can be returned within 30 days of delivery, so yes, you can still send it back.",
            "Returns are free: here's a prepaid return label, just drop the parcel at any post office.",
            "Our warehouse received your parcel yesterday, so the refund was released this morning.",
            "Refunds can only go back to the original payment method, but your bank will pass it on to the new card.",
        ],
        &[
            "Third cracked blender jar from the same batch this month; flagged to the supplier.",
            "Goodwill refund approved although the return window had closed.",
        ],
    ),
    (
        "shipping",
        &[
            "My order was supposed to arrive on Tuesday and it's still not here. Where is it?",
            "The tracking page has said 'label created' for five days now.",
            "Can you deliver to the {company} office instead of my home address?",
            "The courier says the parcel was delivered, but there was nothing at my door.",
            "Do you have express delivery? I need it before the weekend.",
        ],
        &[
            "Sorry for the delay! The carrier had a backlog; your parcel is out for delivery today.",
            "Here's your tracking number: 1Z999AA10123456784. It updates once the courier scans the parcel.",
            "Done, I've changed the delivery address; that works as long as the order hasn't shipped yet.",
            "I've opened a claim with the carrier and we're sending a replacement right away, free of charge.",
            "Express shipping is $9.90 and arrives the next business day if you order before 2 pm.",
        ],
        &[
            "The carrier lost 3 parcels in this region this week; consider switching couriers.",
            "Customer already received a free replacement in March; check before sending another.",
        ],
    ),
    (
        "privacy",
        &[
            "Under GDPR I'm asking you to delete all the personal data you hold about me.",
            "Can you send us your data processing agreement? Our legal team at {company} has to sign it.",
            "Where are our conversations stored? Our data has to stay in the EU.",
            "Please send me a copy of all the information you have on me.",
            "Which subprocessors do you use?",
        ],
        &[
            "We've received your erasure request; your data will be deleted within 30 days and you'll get a confirmation email.",
            "Attached is our DPA, already signed on our side. Please countersign it and send it back.",
            "All customer data is hosted in our Frankfurt region and never leaves the EU.",
            "Your data export is ready; the download link is valid for 7 days.",
            "The list of subprocessors is on our trust page, and we notify customers 30 days before adding a new one.",
        ],
        &[
            "Legal says we must verify the requester's identity before deleting anything.",
            "Their procurement sent a security questionnaire due next week; loop in the DPO.",
        ],
    ),
    (
        "cancellation",
        &[
            "We'd like to cancel our {plan} subscription at the end of this billing period.",
            "How do I close my account? I don't want to be charged again.",
            "We're switching to a cheaper tool; we only need {seats} seats now.",
            "Will we lose our conversation history once we cancel?",
            "Could we pause the account over the summer instead of cancelling?",
        ],
        &[
            "Sorry to see you go. The cancellation is scheduled: you keep access until the period ends and won't be billed again.",
            "Before you decide: I can offer three months at 50% off if you'd like to stay.",
            "Your history stays available for 90 days after cancelling, and you can export everything as CSV.",
            "We can pause the subscription for up to 3 months; billing restarts automatically afterwards.",
        ],
        &[
            "Cancellation reason: price. Offered the retention discount, declined.",
            "Could we save this one with a downgrade? They still use WhatsApp heavily.",
        ],
    ),
];

/// Builds a world holding one account generated from `scenario`.
pub fn generate(scenario: &Scenario) -> World {
    let mut world = World::new();
    add_account(&mut world, scenario);
    world
}

/// Adds the account described by `scenario` to `world` (ids continue from the world's).
pub fn add_account(world: &mut World, s: &Scenario) {
    let mut rng = Rng(s.seed ^ (s.account_id as u64).wrapping_mul(0x1000_0000_01B3));
    let base_inbox = s.account_id * 10;
    let inboxes = vec![
        Inbox {
            id: base_inbox + 1,
            name: "Website chat".into(),
            channel_type: "Channel::WebWidget".into(),
        },
        Inbox {
            id: base_inbox + 2,
            name: "Sales email".into(),
            channel_type: "Channel::Email".into(),
        },
        Inbox {
            id: base_inbox + 3,
            name: "WhatsApp".into(),
            channel_type: "Channel::Whatsapp".into(),
        },
        Inbox {
            id: base_inbox + 4,
            name: "Support API".into(),
            channel_type: "Channel::Api".into(),
        },
    ];
    let agents: Vec<Agent> = (0..4)
        .map(|i| {
            let first = FIRST[(i * 5 + 3) % FIRST.len()];
            let last = LAST[(i * 7 + 2) % LAST.len()];
            Agent {
                id: s.account_id * 100 + i as i64 + 1,
                name: format!("{first} {last}"),
                email: format!("{}@northwind.example", first.to_lowercase()),
            }
        })
        .collect();

    let mut contacts = BTreeMap::new();
    let mut resolved_ids = Vec::new();
    let span = 90 * 86_400;
    for i in 0..s.contacts {
        let id = world.take_contact_id();
        let first = *rng.pick(FIRST);
        let last = *rng.pick(LAST);
        let company = *rng.pick(COMPANIES);
        let (city, country) = *rng.pick(CITIES);
        let has_email = i % 5 != 4;
        let has_phone = i % 3 == 0 || !has_email;
        let created_at = s.start_unix - rng.range(86_400, 400 * 86_400);
        let contact = Contact {
            id,
            name: format!("{first} {last}"),
            email: has_email.then(|| {
                format!(
                    "{}.{}{}@{}.example",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    i,
                    company.split(' ').next().unwrap_or("mail").to_lowercase()
                )
            }),
            phone_number: has_phone.then(|| format!("+49151{:07}", rng.range(0, 9_999_999))),
            identifier: (i % 4 == 0).then(|| format!("crm-{}", 10_000 + i)),
            additional_attributes: json!({
                "city": city,
                "country": country,
                "company_name": company,
                "description": "",
            }),
            custom_attributes: json!({
                "plan": *rng.pick(PLANS),
                "seats": rng.range(3, 120),
            }),
            created_at,
            updated_at: created_at + rng.range(0, 86_400),
            last_activity_at: None,
            contact_inboxes: Vec::new(),
        };
        resolved_ids.push(id);
        contacts.insert(id, contact);
    }
    let mut anonymous_ids = Vec::new();
    for _ in 0..s.anonymous_contacts {
        let id = world.take_contact_id();
        let created_at = s.start_unix + rng.range(0, span);
        let name = format!(
            "{}-{}-{}",
            rng.pick(ADJ),
            rng.pick(NOUN),
            rng.range(100, 999)
        );
        contacts.insert(
            id,
            Contact {
                id,
                name,
                email: None,
                phone_number: None,
                identifier: None,
                additional_attributes: json!({
                    "browser": { "browser_name": "Chrome", "platform_name": "macOS" },
                    "referer": "https://northwind.example/pricing",
                    "initiated_at": { "timestamp": super::world::iso(created_at) },
                }),
                custom_attributes: json!({}),
                created_at,
                updated_at: created_at,
                last_activity_at: None,
                contact_inboxes: vec![(base_inbox + 1, rng.uuid())],
            },
        );
        anonymous_ids.push(id);
    }

    // Lengths vary around the mean but add up exactly to conversations * mean.
    let n = s.conversations;
    let mean = s.messages_per_conversation.max(1) as i64;
    let mut lengths: Vec<i64> = vec![mean; n];
    let mut i = 0;
    while i + 1 < n {
        let delta = rng.range(0, (mean / 2).max(1));
        if mean - delta >= 1 {
            lengths[i] += delta;
            lengths[i + 1] -= delta;
        }
        i += 2;
    }

    let mut conversations = BTreeMap::new();
    // (created_at, display_id, seq, message without id)
    let mut pending: Vec<(i64, i64, usize, Message)> = Vec::new();
    for (index, length) in lengths.iter().enumerate() {
        let display_id = index as i64 + 1;
        let anonymous = index < anonymous_ids.len();
        let contact_id = if anonymous {
            anonymous_ids[index]
        } else if resolved_ids.is_empty() {
            continue;
        } else {
            *rng.pick(&resolved_ids)
        };
        let inbox_id = if anonymous {
            base_inbox + 1
        } else {
            base_inbox + rng.range(1, 5)
        };
        if let Some(contact) = contacts.get_mut(&contact_id)
            && !contact.contact_inboxes.iter().any(|(i, _)| *i == inbox_id)
        {
            let source = contact
                .email
                .clone()
                .or_else(|| contact.phone_number.clone())
                .unwrap_or_else(|| rng.uuid());
            contact.contact_inboxes.push((inbox_id, source));
        }
        let (topic, customer, agent_lines, notes) = *rng.pick(TOPICS);
        let company = *rng.pick(COMPANIES);
        let plan = *rng.pick(PLANS);
        let seats = rng.range(5, 80).to_string();
        let fill = |t: &str| {
            t.replace("{company}", company)
                .replace("{plan}", plan)
                .replace("{seats}", &seats)
        };
        let status = *rng.pick(&["open", "open", "resolved", "resolved", "pending", "snoozed"]);
        let assignee =
            (!rng.chance(20)).then(|| agents[rng.range(0, agents.len() as i64) as usize].id);
        let created_at = s.start_unix + rng.range(0, span);
        if anonymous && let Some(contact) = contacts.get_mut(&contact_id) {
            // A widget visitor comes into existence with its first conversation.
            contact.created_at = created_at;
            contact.updated_at = created_at;
        }
        let mut t = created_at;
        let mut seq = 0usize;
        let total = (*length).max(1) as usize;
        while seq < total {
            let last_one = seq + 1 == total;
            let roll = rng.range(0, 100);
            let (content, message_type, private, sender, attachments): (
                Option<String>,
                i32,
                bool,
                Option<Sender>,
                usize,
            ) = if seq == 0 {
                (
                    Some(fill(customer[0])),
                    0,
                    false,
                    Some(Sender::Contact(contact_id)),
                    0,
                )
            } else if last_one && status == "resolved" {
                let who = assignee
                    .and_then(|a| agents.iter().find(|x| x.id == a))
                    .map_or("Automation System".to_owned(), |a| a.name.clone());
                (
                    Some(format!("Conversation was marked resolved by {who}")),
                    2,
                    false,
                    None,
                    0,
                )
            } else if roll < 38 {
                let agent = assignee.unwrap_or(agents[0].id);
                let line = fill(rng.pick::<&str>(agent_lines));
                (
                    Some(line),
                    1,
                    false,
                    Some(Sender::Agent(agent)),
                    usize::from(rng.chance(8)),
                )
            } else if roll < 74 {
                (
                    Some(fill(rng.pick::<&str>(customer))),
                    0,
                    false,
                    Some(Sender::Contact(contact_id)),
                    0,
                )
            } else if roll < 83 {
                let agent = assignee.unwrap_or(agents[1 % agents.len()].id);
                (
                    Some(fill(rng.pick::<&str>(notes))),
                    1,
                    true,
                    Some(Sender::Agent(agent)),
                    0,
                )
            } else if roll < 91 {
                // Attachment-only: Chatwoot sends `content: null`.
                (
                    None,
                    0,
                    false,
                    Some(Sender::Contact(contact_id)),
                    1 + usize::from(rng.chance(30)),
                )
            } else if roll < 97 {
                let who = assignee
                    .and_then(|a| agents.iter().find(|x| x.id == a))
                    .map_or("Olivia Garcia".to_owned(), |a| a.name.clone());
                (
                    Some(format!("Assigned to {who} by Automation System")),
                    2,
                    false,
                    None,
                    0,
                )
            } else {
                (
                    Some(format!(
                        "Hi! Your {plan} trial ends in 3 days. Reply YES to talk to sales."
                    )),
                    3,
                    false,
                    Some(Sender::Agent(agents[0].id)),
                    0,
                )
            };
            let attachments = (0..attachments)
                .map(|_| {
                    let (file_type, extension) = *rng.pick(&[
                        ("image", "png"),
                        ("image", "jpg"),
                        ("file", "pdf"),
                        ("audio", "ogg"),
                    ]);
                    Attachment {
                        id: world.take_attachment_id(),
                        file_type: file_type.to_owned(),
                        extension: extension.to_owned(),
                        file_size: rng.range(8_000, 2_000_000),
                    }
                })
                .collect();
            pending.push((
                t,
                display_id,
                seq,
                Message {
                    id: 0,
                    conversation_id: display_id,
                    inbox_id,
                    content,
                    message_type,
                    private,
                    created_at: t,
                    updated_at: t,
                    sender,
                    status: if message_type == 1 {
                        "delivered"
                    } else {
                        "sent"
                    }
                    .to_owned(),
                    attachments,
                    content_attributes: json!({}),
                },
            ));
            seq += 1;
            t += rng.range(40, 3 * 3_600);
        }
        let last_activity_at = t;
        let mut labels: Vec<String> = Vec::new();
        if rng.chance(50) {
            labels.push((*rng.pick(LABELS)).to_owned());
        }
        if topic == "renewal" {
            labels.push("renewal".to_owned());
        }
        labels.sort();
        labels.dedup();
        conversations.insert(
            display_id,
            Conversation {
                display_id,
                uuid: rng.uuid(),
                inbox_id,
                contact_id,
                assignee_id: assignee,
                status: status.to_owned(),
                labels,
                created_at,
                last_activity_at,
                additional_attributes: if inbox_id == base_inbox + 2 {
                    json!({ "mail_subject": format!("Re: {topic} question"), "source": "email" })
                } else {
                    json!({})
                },
            },
        );
    }

    // Message ids follow creation time across the whole account, as table ids do in Chatwoot.
    pending.sort_by_key(|(t, display_id, seq, _)| (*t, *display_id, *seq));
    let mut messages: BTreeMap<i64, Vec<Message>> = BTreeMap::new();
    for (_, display_id, _, mut message) in pending {
        message.id = world.take_message_id();
        messages.entry(display_id).or_default().push(message);
    }
    for (display_id, list) in &messages {
        if let (Some(conversation), Some(last)) = (conversations.get_mut(display_id), list.last()) {
            conversation.last_activity_at = last.created_at;
            if let Some(contact) = contacts.get_mut(&conversation.contact_id) {
                contact.last_activity_at =
                    Some(contact.last_activity_at.unwrap_or(0).max(last.created_at));
            }
        }
    }
    world.accounts.insert(
        s.account_id,
        Account {
            id: s.account_id,
            name: s.account_name.clone(),
            inboxes,
            agents,
            contacts,
            conversations,
            messages,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_scenario_generates_the_same_world() {
        let a = generate(&Scenario::small(3));
        let b = generate(&Scenario::small(3));
        assert_eq!(a.totals(3), b.totals(3));
        assert_eq!(a.message_ids(3), b.message_ids(3));
    }

    #[test]
    fn message_totals_are_exact_and_include_every_kind() {
        let world = generate(&Scenario::with_total_messages(9, 10_000));
        let totals = world.totals(9).expect("account exists");
        assert_eq!(totals.messages, 10_000);
        let account = world.account(9).expect("account exists");
        let all: Vec<&Message> = account.messages.values().flatten().collect();
        assert!(
            all.iter()
                .any(|m| m.content.is_none() && !m.attachments.is_empty())
        );
        assert!(all.iter().any(|m| m.private));
        assert!(all.iter().any(|m| m.message_type == 2));
        assert!(
            totals.contacts > totals.listed_contacts,
            "anonymous contacts exist"
        );
        let inboxes: std::collections::BTreeSet<i64> =
            account.conversations.values().map(|c| c.inbox_id).collect();
        assert!(inboxes.len() >= 3);
    }

    #[test]
    fn message_ids_increase_with_creation_time() {
        let world = generate(&Scenario::small(1));
        let account = world.account(1).expect("account exists");
        let mut all: Vec<&Message> = account.messages.values().flatten().collect();
        all.sort_by_key(|m| m.id);
        assert!(all.windows(2).all(|w| w[0].created_at <= w[1].created_at));
    }
}
