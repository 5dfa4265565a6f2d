//! Courier replies on their way to the checkout waiting for them: handed to its drive if it
//! listens, kept a while if it does not yet (a reply can overtake its checkout's listening), and
//! bounded, so that replies nobody waits for (forged, or another runner's) cannot grow the memory.

use std::collections::HashMap;

use checkout_domain::{Event, TaskToken};
use checkout_ports::Shop;
use tokio::sync::mpsc;

use crate::{CourierAnswer, Driver, World};

/// Replies waiting to be handed to the task that drives their checkout.
#[derive(Default)]
pub(crate) struct Mailboxes {
    waiting: HashMap<TaskToken, mpsc::UnboundedSender<Event>>,
    /// Replies that came before their checkout's task was listening (say, while it resumed),
    /// and the order they came in, oldest first.
    early: HashMap<TaskToken, Event>,
    arrivals: std::collections::VecDeque<TaskToken>,
}

/// The most early replies kept. A real one is early for the moment between a request's sending
/// and its checkout's listening; the rest have unknown tokens (forged, or for a checkout another
/// runner drives), so past the bound the oldest go first, and a flood of forged replies can
/// neither grow the memory nor, as a full map that refused newcomers did, shut real ones out.
pub const MAX_EARLY: usize = 1_024;

impl<S: Shop, W: World> Driver<S, W> {
    fn mailboxes(&self) -> std::sync::MutexGuard<'_, Mailboxes> {
        self.mailboxes.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands a courier answer to the checkout waiting for `token`. Returns whether one was
    /// waiting; if none is yet, the answer is kept for it.
    pub fn deliver(&self, token: TaskToken, answer: CourierAnswer) -> bool {
        let event = match answer {
            CourierAnswer::Assigned(courier) => Event::CourierAssigned { token: token.clone(), courier },
            CourierAnswer::Unavailable(detail) => Event::CourierUnavailable { token: token.clone(), detail },
        };
        let mut mailboxes = self.mailboxes();
        if let Some(waiting) = mailboxes.waiting.get(&token) {
            if waiting.send(event.clone()).is_ok() {
                return true;
            }
        }
        if mailboxes.early.insert(token.clone(), event).is_none() {
            mailboxes.arrivals.push_back(token);
        }
        while mailboxes.early.len() > MAX_EARLY {
            let Some(oldest) = mailboxes.arrivals.pop_front() else { break };
            mailboxes.early.remove(&oldest);
        }
        // Replies taken by their checkout leave their arrival behind: forget those now and then.
        if mailboxes.arrivals.len() > 2 * MAX_EARLY {
            let Mailboxes { early, arrivals, .. } = &mut *mailboxes;
            arrivals.retain(|token| early.contains_key(token));
        }
        false
    }

    /// How many courier replies wait for a checkout that is not listening (at most [`MAX_EARLY`]).
    pub fn early_replies(&self) -> usize {
        self.mailboxes().early.len()
    }

    /// How many of this runner's checkouts are listening for a courier reply now.
    pub fn listening(&self) -> usize {
        self.mailboxes().waiting.len()
    }

    pub(crate) fn listen(&self, token: &TaskToken) -> mpsc::UnboundedReceiver<Event> {
        let (sender, receiver) = mpsc::unbounded_channel();
        let mut mailboxes = self.mailboxes();
        if let Some(early) = mailboxes.early.remove(token) {
            let _ = sender.send(early);
        }
        mailboxes.waiting.insert(token.clone(), sender);
        receiver
    }

    pub(crate) fn stop_listening(&self, token: &TaskToken) {
        self.mailboxes().waiting.remove(token);
    }
}
