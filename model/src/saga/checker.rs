//! The model as stateright explores it: the actions each state allows, and what each does.

use super::*;

impl Model for SagaModel {
    type State = SagaState;
    type Action = SagaAction;

    fn init_states(&self) -> Vec<SagaState> {
        let s = &self.scenario;
        let mut inventory = Inventory::default();
        inventory.add_book(s.book.clone(), s.copies, s.unit_price).expect("scenario amounts are small");
        let (mut points, mut wallets) = (Ledger::default(), Ledger::default());
        points.open(s.user.clone(), s.points).expect("scenario amounts are small");
        wallets.open(s.user.clone(), s.funds).expect("scenario amounts are small");
        let mut registry = OrderRegistry::default();
        let runs = s
            .orders
            .iter()
            .enumerate()
            .map(|(k, order)| {
                registry.admit(order, self.checkout_ids[k].clone()).expect("a scenario's first orders differ");
                self.open_run(k, order)
            })
            .collect();
        vec![SagaState {
            runs,
            inventory: Shared::new(inventory),
            points: Shared::new(points),
            wallets: Shared::new(wallets),
            fences: Shared::new(FenceBook::default()),
            registry: Shared::new(registry),
            pending_submissions: (1u8 << s.resubmissions.len()) - 1,
            courier_queue: Vec::new(),
            courier_replies: Vec::new(),
            faults_left: s.faults,
            crashes_left: s.crashes,
            credits_left: s.points_credits,
            restocks_left: s.restocks,
            refusals_left: s.refusals,
            foreign_left: s.foreign_replies,
            zombies_left: s.zombies,
            overtakes_left: s.overtakes,
            deaths_left: s.deaths,
            cancels_left: s.cancels,
            resolutions_left: s.resolutions,
            refused_with_stock_available: false,
            foreign_reply_accepted: false,
            ended_checkout_changed: false,
            reply_refused: false,
            reload_failed: false,
        }]
    }

    fn actions(&self, state: &SagaState, actions: &mut Vec<SagaAction>) {
        let faulty = state.faults_left > 0;
        let crashy = state.crashes_left > 0;
        for (run, r) in state.runs.iter().enumerate() {
            if r.zombie.is_some() {
                actions.push(SagaAction::ZombieActs { run });
            }
            // A cancel of a checkout that has ended is refused and changes nothing but its
            // answer, which the domain's own tests show; the model sends cancels that race.
            if state.cancels_left > 0 && !r.checkout().is_finished() {
                actions.push(SagaAction::Cancel { run });
            }
            // A resolution the domain refuses changes nothing (it claims nothing), which the
            // domain's and the drive's tests show; the model sends those it takes, and those a
            // weakened copy would.
            if state.resolutions_left > 0 && self.resolution_offered(r.checkout()) {
                actions.push(SagaAction::Resolve { run, went_out: false });
                actions.push(SagaAction::Resolve { run, went_out: true });
            }
            if r.holder_dead {
                if r.in_flight.is_some() {
                    actions.push(SagaAction::Land { run });
                }
                if !self.weak(Weakness::NoTakeover) {
                    actions.push(SagaAction::TakeOver { run });
                }
                continue;
            }
            match self.engine.next(r.checkout(), &r.progress) {
                Action::Finished(_) => continue,
                Action::Compute | Action::OpenCourierWait => actions.push(SagaAction::Compute { run }),
                wait @ (Action::RequestCourier(_) | Action::AwaitCourier { .. }) => {
                    if matches!(wait, Action::RequestCourier(_)) {
                        actions.push(SagaAction::RequestCourier { run });
                    }
                    actions.push(SagaAction::DeadlinePasses { run });
                    if state.foreign_left > 0 {
                        actions.push(SagaAction::ForgeReply { run });
                    }
                }
                Action::Call(command) => {
                    actions.push(SagaAction::Call { run, fault: None });
                    if faulty {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::FailsBeforeEffect) });
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::ReplyLost) });
                        if !command.is_compensation() {
                            actions.push(SagaAction::Call { run, fault: Some(CallFault::FailsForGood) });
                        }
                    }
                    if state.refusals_left > 0 && command.is_compensation() {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::RefusedForGood) });
                    }
                    if crashy {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::CrashAfterEffect) });
                    }
                    if state.overtakes_left > 0 && r.in_flight.is_none() {
                        actions.push(SagaAction::Call { run, fault: Some(CallFault::Overtaken) });
                    }
                }
            }
            if r.in_flight.is_some() {
                actions.push(SagaAction::Land { run });
            }
            if crashy {
                actions.push(SagaAction::Crash { run });
            }
            if state.deaths_left > 0 {
                actions.push(SagaAction::Die { run });
            }
            if state.zombies_left > 0 && r.zombie.is_none() {
                actions.push(SagaAction::Supersede { run });
            }
        }
        for request in 0..state.courier_queue.len() {
            actions.push(SagaAction::Work { request, assigns: true });
            if faulty {
                actions.push(SagaAction::Work { request, assigns: false });
                actions.push(SagaAction::LoseRequest { request });
                actions.push(SagaAction::DuplicateRequest { request });
            }
        }
        for (reply, message) in state.courier_replies.iter().enumerate() {
            actions.push(SagaAction::Deliver { reply });
            if faulty {
                actions.push(SagaAction::LoseReply { reply });
                actions.push(SagaAction::DuplicateReply { reply });
            }
            if state.foreign_left > 0 {
                for (to, r) in state.runs.iter().enumerate() {
                    if to != message.run && Self::is_waiting(r) {
                        actions.push(SagaAction::Misdeliver { reply, to });
                    }
                }
            }
        }
        if state.credits_left > 0 {
            actions.push(SagaAction::CreditPoints);
        }
        if state.restocks_left > 0 {
            actions.push(SagaAction::Restock);
        }
        for k in 0..self.scenario.resubmissions.len() {
            if state.pending_submissions & (1 << k) != 0 {
                actions.push(SagaAction::Submit { submission: self.scenario.orders.len() + k });
            }
        }
    }

    fn next_state(&self, last: &SagaState, action: SagaAction) -> Option<SagaState> {
        let mut state = last.clone();
        match action {
            SagaAction::Call { run, fault } => self.call(&mut state, run, fault),
            SagaAction::Compute { run } => {
                let mut r = state.runs[run].make_mut();
                let mut progress = r.progress.clone();
                let next = self.pure_step(r.checkout().clone(), &mut progress, &r.token);
                r.save(next);
                r.progress = progress;
            }
            SagaAction::RequestCourier { run } => {
                let token = state.runs[run].checkout().courier_wait()?.token?;
                insert_sorted(&mut state.courier_queue, CourierRequest { run, token });
                self.engine.courier_requested(&mut state.runs[run].make_mut().progress);
            }
            SagaAction::Crash { run } => self.restart(&mut state, run),
            SagaAction::Die { run } => {
                state.deaths_left -= 1;
                let mut r = state.runs[run].make_mut();
                r.holder_dead = true;
                r.progress = Progress::default();
            }
            SagaAction::TakeOver { run } => self.take_over(&mut state, run)?,
            SagaAction::Work { request, assigns } => {
                let CourierRequest { run, token } = state.courier_queue.remove(request);
                if !assigns {
                    state.faults_left -= 1;
                }
                insert_sorted(&mut state.courier_replies, CourierReply { run, token, assigned: assigns });
            }
            SagaAction::LoseRequest { request } => {
                state.faults_left -= 1;
                state.courier_queue.remove(request);
            }
            SagaAction::DuplicateRequest { request } => {
                state.faults_left -= 1;
                duplicate(&mut state.courier_queue, request);
            }
            SagaAction::Deliver { reply } => {
                let CourierReply { run, token, assigned } = state.courier_replies.remove(reply);
                // A reply for a checkout that no longer waits (late, duplicated) is discarded.
                self.feed(&mut state, run, worker_reply(token, assigned));
            }
            SagaAction::LoseReply { reply } => {
                state.faults_left -= 1;
                state.courier_replies.remove(reply);
            }
            SagaAction::DuplicateReply { reply } => {
                state.faults_left -= 1;
                duplicate(&mut state.courier_replies, reply);
            }
            SagaAction::DeadlinePasses { run } => {
                let deadline_ms = state.runs[run].checkout().courier_wait()?.deadline_ms;
                self.apply(&mut state, run, Event::DeadlinePassed { now_ms: deadline_ms });
            }
            SagaAction::CreditPoints => {
                state.credits_left -= 1;
                let credit = Operation::Credit { user: self.scenario.user.clone(), funds: 0, points: POINTS_CREDIT };
                self.operate(&mut state, &credit);
            }
            SagaAction::Restock => {
                state.restocks_left -= 1;
                let s = &self.scenario;
                if self.weak(Weakness::RestockSets) {
                    // What `init` did to a live shop: the shelf set to the catalog's count.
                    let catalog = s.copies + u32::try_from(RESTOCK_COPIES).expect("small");
                    state.inventory.make_mut().add_book(s.book.clone(), catalog, s.unit_price).expect("small");
                } else {
                    let restock = Operation::Restock { book: s.book.clone(), copies: RESTOCK_COPIES, price: None };
                    self.operate(&mut state, &restock);
                }
            }
            SagaAction::ForgeReply { run } => {
                let token = guessed_token(state.runs[run].checkout().id());
                self.feed_foreign(&mut state, run, Event::CourierAssigned { token, courier: impostor() });
            }
            SagaAction::Misdeliver { reply, to } => {
                let CourierReply { token, assigned, .. } = state.courier_replies.remove(reply);
                self.feed_foreign(&mut state, to, worker_reply(token, assigned));
            }
            SagaAction::Supersede { run } => {
                state.zombies_left -= 1;
                let mut r = state.runs[run].make_mut();
                r.zombie = Some(Zombie { checkout: r.checkout().clone(), fence: r.slot.fence() });
                r.slot.claim(runner_lease(0)).expect("a handful of claims");
                r.progress = Progress::default();
            }
            SagaAction::ZombieActs { run } => self.zombie_acts(&mut state, run),
            SagaAction::Land { run } => self.land(&mut state, run),
            SagaAction::Submit { submission } => self.submit(&mut state, submission),
            SagaAction::Cancel { run } => self.cancel(&mut state, run),
            SagaAction::Resolve { run, went_out } => self.resolve(&mut state, run, went_out),
        }
        Some(state)
    }
}

/// The worker's answer to a courier request, as the orchestrator receives it.
fn worker_reply(token: TaskToken, assigned: bool) -> Event {
    if assigned {
        Event::CourierAssigned { token, courier: courier() }
    } else {
        Event::CourierUnavailable { token, detail: "no courier available".into() }
    }
}
