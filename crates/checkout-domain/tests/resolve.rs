//! An operator's resolution: taken only by a checkout raised for an operator, and only in a form
//! that fits it; it moves nothing in the stores, keeps the raised state whole in the record, and
//! refuses a careless note.

use checkout_domain::fencing::Fence;
use checkout_domain::states::{NoteError, OperatorNote, Resolution, MAX_NOTE_CHARS};
use checkout_domain::stores::Stores;
use checkout_domain::{
    BookId, CheckoutId, CheckoutRecord, CheckoutState, Command, CourierId, Effect, EffectKey, Event, Money, Next,
    Order, Outcome, Phase, TaskToken, TransitionError, UserId,
};

fn stores() -> Stores {
    let mut stores = Stores::default();
    stores.inventory.add_book(BookId::new("b-1").unwrap(), 3, Money::from_minor_units(30)).unwrap();
    stores.points.open(UserId::new("u-1").unwrap(), 10).unwrap();
    stores.wallets.open(UserId::new("u-1").unwrap(), 1_000).unwrap();
    stores
}

fn start() -> CheckoutState {
    let order =
        Order::from_json(r#"{"orderId":"o-1","bookId":"b-1","userId":"u-1","quantity":2,"redeem":true}"#).unwrap();
    CheckoutState::start(CheckoutId::new("ck-1").unwrap(), order)
}

fn note(text: &str) -> OperatorNote {
    OperatorNote::new(text).unwrap()
}

fn by_hand() -> Resolution {
    Resolution::GivenBackByHand { note: note("refunded at the card terminal, receipt 4411") }
}

fn confirmed() -> Resolution {
    Resolution::CourierConfirmed { note: note("courier c-1 confirmed the collection by phone") }
}

fn resolve(resolution: Resolution) -> Event {
    Event::Resolve { resolution }
}

/// Runs the checkout against the stores until it reaches `phase`; the courier is assigned.
fn advance_to(mut state: CheckoutState, stores: &mut Stores, phase: Phase) -> CheckoutState {
    while state.phase() != phase {
        state = match state.next() {
            Next::Compute => state.compute().unwrap(),
            Next::OpenCourierWait => {
                state.apply(Event::CourierWaitOpened { token: TaskToken::new("0f9c2b7e").unwrap() }).unwrap()
            }
            Next::Run(Command::RequestCourier { token, .. }) => {
                state.apply(Event::CourierAssigned { token, courier: CourierId::new("c-1").unwrap() }).unwrap()
            }
            Next::Run(Command::NotifyCourier { .. }) => state.apply(Event::CourierNotified).unwrap(),
            Next::Run(command) => state.apply(stores.perform(Fence::FIRST, &command, 0).unwrap().unwrap()).unwrap(),
            Next::Finished(outcome) => panic!("ended ({outcome:?}) before {phase}"),
        };
    }
    state
}

/// A checkout charged and then failed at its courier wait, whose refund was refused for good
/// (a closed card): the points and the stock came back, the money is still held.
fn refund_refused(stores: &mut Stores) -> CheckoutState {
    let waiting = advance_to(start(), stores, Phase::PreparingOrder);
    let mut failed = waiting.apply(Event::DeadlinePassed { now_ms: u64::MAX }).unwrap();
    while failed.phase() == Phase::Compensating {
        failed = match failed.next() {
            Next::Run(Command::Refund { .. }) => {
                failed.apply(Event::CompensationRefused { detail: "card closed".into() }).unwrap()
            }
            Next::Run(command) => failed.apply(stores.perform(Fence::FIRST, &command, 0).unwrap().unwrap()).unwrap(),
            Next::Compute => failed.compute().unwrap(),
            other => panic!("a failed checkout runs {other:?}"),
        };
    }
    assert_eq!(failed.phase(), Phase::NeedsOperator);
    failed
}

fn notice_refused(stores: &mut Stores) -> CheckoutState {
    let notifying = advance_to(start(), stores, Phase::NotifyingCourier);
    let raised = notifying.apply(Event::StepFailed { detail: "topic deleted".into() }).unwrap();
    assert_eq!(raised.phase(), Phase::NoticeUnconfirmed);
    raised
}

fn charged(stores: &Stores) -> u64 {
    stores.wallets.held_by(&EffectKey::new(&CheckoutId::new("ck-1").unwrap(), Effect::Charge))
}

#[test]
fn a_refused_refund_is_resolved_as_given_back_by_hand_and_the_stores_keep_what_they_hold() {
    let mut stores = stores();
    let raised = refund_refused(&mut stores);
    let before = stores.clone();
    assert_eq!(charged(&stores), 50, "the refused refund left the charge held");
    let resolved = raised.clone().apply(resolve(by_hand())).unwrap();
    assert_eq!(resolved.phase(), Phase::Resolved);
    assert_eq!(resolved.next(), Next::Finished(Outcome::Resolved));
    assert_eq!(resolved.unreturned(), raised.unreturned(), "it names what the operator settled");
    assert_eq!(resolved.pricing(), raised.pricing());
    assert_eq!(stores, before, "a resolution moves nothing in the stores");
    // Saved and loaded back, it is itself, and its record keeps the raised state whole.
    assert_eq!(CheckoutState::from_json(&resolved.to_json()).unwrap(), resolved);
    let CheckoutRecord::Resolved { raised: record, resolution } = resolved.record() else { panic!("not resolved") };
    assert_eq!(*record, raised.record());
    assert_eq!(resolution, by_hand());
    let view = serde_json::to_value(resolved.view()).unwrap();
    assert_eq!(view["state"], "resolved");
    assert_eq!(view["outcome"], "resolved");
    assert_eq!(view["resolution"]["kind"], "given-back-by-hand");
    assert_eq!(view["resolution"]["note"], "refunded at the card terminal, receipt 4411");
    assert_eq!(view["unreturned"][0]["compensation"], "refund");
}

#[test]
fn a_failed_checkout_cannot_be_resolved_as_collected() {
    let mut stores = stores();
    let raised = refund_refused(&mut stores);
    let refused = raised.clone().apply(resolve(confirmed())).unwrap_err();
    assert_eq!(
        refused.error,
        TransitionError::ResolutionDoesNotFit { state: Phase::NeedsOperator, kind: "courier-confirmed" }
    );
    assert_eq!(refused.state, raised, "a refused resolution changes nothing");
    assert!(refused.error.to_string().contains("before any courier was told"), "{}", refused.error);
}

#[test]
fn an_unconfirmed_notice_is_resolved_either_way() {
    for resolution in [confirmed(), by_hand()] {
        let mut stores = stores();
        let raised = notice_refused(&mut stores);
        let resolved = raised.apply(resolve(resolution.clone())).unwrap();
        assert_eq!(resolved.phase(), Phase::Resolved);
        assert_eq!(CheckoutState::from_json(&resolved.to_json()).unwrap(), resolved);
        let view = resolved.view();
        assert_eq!(view.courier, Some(CourierId::new("c-1").unwrap()), "the view shows who may collect");
        assert_eq!(view.notice_refused.as_deref(), Some("topic deleted"));
        assert_eq!(view.resolution, Some(resolution));
    }
}

#[test]
fn only_a_checkout_raised_for_an_operator_takes_a_resolution() {
    let mut stores = stores();
    for phase in [Phase::Placed, Phase::Billing, Phase::PreparingOrder, Phase::NotifyingCourier, Phase::Dispatched] {
        let at = advance_to(start(), &mut stores.clone(), phase);
        let refused = at.clone().apply(resolve(by_hand())).unwrap_err();
        assert_eq!(refused.error, TransitionError::NothingToResolve { state: phase });
        assert_eq!(refused.state, at);
    }
    let compensating = advance_to(start(), &mut stores, Phase::Billing).apply(Event::Cancel).unwrap();
    let refused = compensating.apply(resolve(by_hand())).unwrap_err();
    assert_eq!(refused.error, TransitionError::NothingToResolve { state: Phase::Compensating });
    // Resolved once, it stays as resolved: a second resolution, or a cancel, is refused.
    let resolved = refund_refused(&mut stores).apply(resolve(by_hand())).unwrap();
    let again = resolved.clone().apply(resolve(by_hand())).unwrap_err();
    assert_eq!(again.error, TransitionError::NothingToResolve { state: Phase::Resolved });
    let cancel = resolved.apply(Event::Cancel).unwrap_err();
    assert_eq!(cancel.error, TransitionError::NothingToCancel { state: Phase::Resolved });
}

#[test]
fn a_careless_note_is_refused_with_the_reason() {
    assert_eq!(OperatorNote::new(""), Err(NoteError::Empty));
    assert_eq!(OperatorNote::new(" \t "), Err(NoteError::Empty));
    assert_eq!(OperatorNote::new("refunded\nreceipt 1"), Err(NoteError::ControlCharacter));
    let long = "x".repeat(MAX_NOTE_CHARS + 1);
    assert_eq!(OperatorNote::new(long), Err(NoteError::TooLong { chars: MAX_NOTE_CHARS + 1 }));
    assert_eq!(OperatorNote::new("é".repeat(MAX_NOTE_CHARS)).unwrap().as_str().chars().count(), MAX_NOTE_CHARS);
    assert_eq!(OperatorNote::new("  refunded  ").unwrap().as_str(), "refunded", "kept trimmed");
    // The same rules hold for a note read from JSON: a record cannot carry one the CLI refuses.
    let empty = serde_json::from_str::<Resolution>(r#"{"kind":"given-back-by-hand","note":""}"#);
    assert!(empty.unwrap_err().to_string().contains("the note is empty"));
    let unknown = serde_json::from_str::<Resolution>(r#"{"kind":"written-off","note":"gone"}"#);
    assert!(unknown.is_err());
}

#[test]
fn a_resolved_record_loads_only_over_a_raised_state_it_fits() {
    let mut stores = stores();
    let resolved = refund_refused(&mut stores.clone()).apply(resolve(by_hand())).unwrap();
    let json: serde_json::Value = serde_json::from_str(&resolved.to_json()).unwrap();
    assert_eq!(json["raised"]["state"], "needs-operator");
    let mut collected = json.clone();
    collected["resolution"]["kind"] = serde_json::json!("courier-confirmed");
    let error = CheckoutState::from_json(&collected.to_string()).unwrap_err().to_string();
    assert!(error.contains("before any courier was told"), "{error}");
    let dispatched = advance_to(start(), &mut stores, Phase::Dispatched);
    let mut over_dispatched = json.clone();
    over_dispatched["raised"] = serde_json::to_value(dispatched.record()).unwrap();
    let error = CheckoutState::from_json(&over_dispatched.to_string()).unwrap_err().to_string();
    assert!(error.contains("not raised for an operator"), "{error}");
    let mut nested = json.clone();
    nested["raised"] = json.clone();
    assert!(CheckoutState::from_json(&nested.to_string()).is_err(), "a resolution over a resolution");
}
