//! Offer totals: computed by the server, exactly, one documented rounding rule; input checks.
use server::domain::offers::{self, NewOffer, OfferPatch};

use crate::helpers::OfferFixtures;
use crate::helpers::{TestDb, dec, fields, line, not_found, offer_for};

#[tokio::test]
async fn offer_totals_are_exact_over_several_lines_with_discounts_and_half_cent_rounding() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let items = vec![
        // 3 x 0.35 = 1.05; at 50 % = 0.525 -> 0.53 (half away from zero).
        line("Stickers", "3", "0.35", "50"),
        // 2.5 x 19.99 = 49.975 -> 49.98; x 0.875 = 43.728125 -> 43.73.
        line("Seats", "2.5", "19.99", "12.5"),
        // No discount.
        line("Setup", "1", "100", "0"),
        // 0.3333 x 3 = 0.9999 -> 1.00.
        line("Hours", "0.3333", "3.00", "0"),
    ];

    // Act
    let created = offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        offer_for(w.account.id, &w.contact, items),
    )
    .await
    .expect("created");

    // Assert
    let o = &created.offer;
    assert_eq!(o.subtotal, dec("152.03"));
    assert_eq!(o.total, dec("145.26"));
    assert_eq!(o.discount_total, dec("6.77"));
    assert_eq!(o.subtotal - o.discount_total, o.total);
    assert_eq!(o.max_discount_pct, dec("50"));
    let totals: Vec<_> = created.items.iter().map(|i| i.line_total).collect();
    assert_eq!(
        totals,
        vec![dec("0.53"), dec("43.73"), dec("100"), dec("1.00")]
    );
    assert_eq!(
        created.items.iter().map(|i| i.position).collect::<Vec<_>>(),
        vec![0, 1, 2, 3]
    );
    // Postgres' round() is the same rule, so the stored lines can be checked in SQL.
    assert_eq!(
        test.scalar(
            "select count(*) from offer_items \
             where line_total <> round(quantity * unit_price * (100 - discount_pct) / 100, 2)"
        )
        .await,
        0
    );
    assert_eq!(test.audits("offer.created").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn editing_a_draft_replaces_every_line_and_recomputes_the_totals() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let created = offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        offer_for(
            w.account.id,
            &w.contact,
            vec![line("A", "1", "10", "0"), line("B", "2", "5", "0")],
        ),
    )
    .await
    .expect("created");

    // Act
    let edited = offers::update_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        created.offer.id,
        OfferPatch {
            title: Some("Renewal".to_owned()),
            items: Some(vec![line("C", "4", "2.50", "10")]),
            ..OfferPatch::default()
        },
    )
    .await
    .expect("edited");

    // Assert
    assert_eq!(edited.offer.title, "Renewal");
    assert_eq!(edited.items.len(), 1);
    assert_eq!(edited.items[0].name, "C");
    assert_eq!(
        (
            edited.offer.subtotal,
            edited.offer.discount_total,
            edited.offer.total
        ),
        (dec("10"), dec("1"), dec("9"))
    );
    assert_eq!(test.count("offer_items").await, 1);
    assert_eq!(test.audits("offer.updated").await, 1);
    test.drop().await;
}

#[tokio::test]
async fn bad_lines_are_refused_naming_every_field_and_nothing_is_written() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let items = vec![
        line(" ", "0", "1.999", "100.5"),
        line("Fine", "1.00001", "-1", "-3"),
    ];
    let mut input = offer_for(w.account.id, &w.contact, items);
    input.title = String::new();
    input.currency = Some("eur".to_owned());

    // Act
    let result = offers::create_offer(&test.db, &w.scope, &w.author.actor, input).await;

    // Assert
    assert_eq!(
        fields(result),
        vec![
            "currency",
            "items[0].discountPct",
            "items[0].name",
            "items[0].quantity",
            "items[0].unitPrice",
            "items[1].discountPct",
            "items[1].quantity",
            "items[1].unitPrice",
            "title",
        ]
    );
    assert_eq!(test.count("offers").await, 0);
    assert_eq!(test.count("offer_items").await, 0);
    assert_eq!(test.audits("offer.created").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn a_line_too_large_for_the_amount_columns_is_refused() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let items = vec![line("Huge", "99999999999999", "9999999999999999.99", "0")];

    // Act
    let result = offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        offer_for(w.account.id, &w.contact, items),
    )
    .await;

    // Assert
    assert_eq!(fields(result), vec!["items[0]"]);
    assert_eq!(test.count("offers").await, 0);
    test.drop().await;
}

#[tokio::test]
async fn an_offer_for_an_opportunity_takes_its_account_and_currency() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let opportunity = server::domain::crm::opportunities::create_opportunity(
        &test.db,
        &w.scope,
        &w.author.actor,
        server::domain::crm::opportunities::NewOpportunity {
            account_id: w.account.id,
            name: "Pilot".to_owned(),
            amount: dec("100"),
            currency: "CHF".to_owned(),
            ..Default::default()
        },
    )
    .await
    .expect("opportunity");

    // Act
    let created = offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        NewOffer {
            title: "Pilot offer".to_owned(),
            opportunity_id: Some(opportunity.id),
            contact_global_id: Some(w.contact.clone()),
            items: vec![line("A", "1", "1", "0")],
            ..NewOffer::default()
        },
    )
    .await
    .expect("created");

    // Assert
    assert_eq!(created.offer.account_id, Some(w.account.id));
    assert_eq!(created.offer.currency, "CHF");
    test.drop().await;
}

#[tokio::test]
async fn an_offer_needs_an_account_and_a_recipient_not_confirmed_elsewhere() {
    // Arrange
    let test = TestDb::new().await;
    let w = test.world("p").await;
    let other = test.account(&w.scope, "Beta", None, None).await;
    let outsider = test.project("other").await;
    let foreign_contact = test.plain_contact(&outsider, 9).await;

    // Act
    let without_account = offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        NewOffer {
            title: "Nobody's".to_owned(),
            ..NewOffer::default()
        },
    )
    .await;
    let confirmed_elsewhere = offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        offer_for(other.id, &w.contact, vec![]),
    )
    .await;
    let foreign = offers::create_offer(
        &test.db,
        &w.scope,
        &w.author.actor,
        offer_for(w.account.id, &foreign_contact, vec![]),
    )
    .await;

    // Assert
    assert_eq!(fields(without_account), vec!["accountId"]);
    assert_eq!(fields(confirmed_elsewhere), vec!["contactId"]);
    assert!(not_found(foreign), "another project's contact is not found");
    assert_eq!(test.count("offers").await, 0);
    test.drop().await;
}
