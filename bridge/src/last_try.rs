//! The last PIN try needs the card presented again (issue 11).
//!
//! Three wrong PINs block the auth PIN, and only the holder's municipal office can unblock
//! it. `authenticate` already refuses the last try without `allowLastAttempt: true`, but that
//! flag is one the page sets: a script on an allowed origin (an XSS in the vendor's app) can
//! send two wrong PINs and a third with the flag, and the card is blocked. So the last try
//! also needs an act the page cannot perform: **the card taken off the reader and presented
//! again** after the bridge saw one try left. Staff do it in two seconds at the desk; a page
//! cannot do it at all.
//!
//! ## What the bridge remembers, per reader
//! [`LastTry`] holds at most one observation: the card presentation
//! ([`crate::backend::Apdu::insertion`]) in which the bridge first saw exactly one try left,
//! and — once `authenticate` has read it — which card that was (SHA-256 of its auth
//! certificate; a page cannot choose the certificate the bridge reads).
//! - One try left seen (`pinStatus`, `authenticate`'s tries-left check, the wrong PIN that
//!   left one): [`LastTry::one_left`]. The first observation is kept while the same card keeps
//!   one try left, so a re-presentation does not overwrite it.
//! - More than one try, none, or a successful `VERIFY` seen: [`LastTry::clear`] — the next
//!   time one is left it must be seen again, in its own presentation.
//! - The last try may be used ([`LastTry::may_use_last`]) only by the card that was seen with
//!   one try left, in a *later* presentation than that one.
//!
//! A card that arrives with one try left is seen with one left on its first check (the
//! reception page's `pinStatus`, or the `authenticate` that asks for consent): it too needs
//! one re-placement. Another card seen in between (a different certificate) starts over.
//!
//! ## What it does not cover
//! A compromised page can still *ask* staff to re-place the card and then use the last try
//! with the flag: the re-placement proves a human at the reader, not that the patient agreed.
//! The page's consent dialog and staff judgement remain the defence there.
//! A presentation is told by the PC/SC service's card-event counter (pcsc-lite; Windows
//! documents the same), read inside the request's own transaction; if the service cannot
//! tell, the last try is refused. A restart of the PC/SC service restarts its counter: a card
//! seen with one try left before the restart and presented after it compares as presented
//! again only if its counter differs.

/// SHA-256 of the auth certificate: which card (a page cannot choose it).
pub type CardId = [u8; 32];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    /// The presentation in which one try left was first seen (`None`: could not be told).
    insertion: Option<u64>,
    /// The card, once `authenticate` read its certificate in that state.
    card: Option<CardId>,
}

/// Per reader: where one PIN try left was seen. See the module docs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LastTry {
    seen: Option<Seen>,
}

impl LastTry {
    /// One try left was seen on the card of presentation `insertion`; `card` when the bridge
    /// read its certificate in the same request (`authenticate`), `None` from `pinStatus`.
    pub fn one_left(&mut self, insertion: Option<u64>, card: Option<CardId>) {
        let fresh = Seen { insertion, card };
        let Some(seen) = &mut self.seen else {
            self.seen = Some(fresh);
            return;
        };
        match card {
            // pinStatus does not know the card: keep what was seen (the gate asks for the
            // certificate anyway).
            None => {}
            // The same card, still at one try: keep the first presentation.
            Some(id) if seen.card == Some(id) => {}
            // The card seen in that presentation, now known.
            Some(id) if seen.card.is_none() && seen.insertion == insertion => {
                seen.card = Some(id);
            }
            // Another card (or one only pinStatus saw, in another presentation): start over.
            Some(_) => *seen = fresh,
        }
    }

    /// More than one try left, none (blocked), or a correct PIN: nothing to remember.
    pub fn clear(&mut self) {
        self.seen = None;
    }

    /// Whether `card`, now in presentation `insertion`, may use its last try: it was seen
    /// with one try left in an earlier presentation, and nothing since said otherwise.
    pub fn may_use_last(&self, insertion: Option<u64>, card: CardId) -> bool {
        match (self.seen, insertion) {
            (
                Some(Seen {
                    insertion: Some(then),
                    card: Some(seen),
                }),
                Some(now),
            ) => seen == card && now != then,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: CardId = [0xA; 32];
    const B: CardId = [0xB; 32];

    #[test]
    fn the_desk_flow_consent_then_a_new_presentation() {
        let mut t = LastTry::default();
        // The page reads the tries on arrival, then asks for consent (authenticate).
        t.one_left(Some(1), None);
        t.one_left(Some(1), Some(A));
        assert!(!t.may_use_last(Some(1), A), "same presentation");
        // Staff take the card off and put it back: the page reads the tries again.
        t.one_left(Some(3), None);
        assert!(t.may_use_last(Some(3), A));
        // authenticate with consent sees one left again: the first presentation stays.
        t.one_left(Some(3), Some(A));
        assert!(t.may_use_last(Some(3), A));
    }

    #[test]
    fn a_page_alone_never_gets_the_last_try() {
        let mut t = LastTry::default();
        // Two wrong PINs: the second leaves one try, in this presentation.
        t.clear();
        t.one_left(Some(7), Some(A));
        assert!(!t.may_use_last(Some(7), A));
        // Nothing the page can do moves the presentation: reconnecting, resets, pinStatus.
        t.one_left(Some(7), None);
        assert!(!t.may_use_last(Some(7), A));
        assert!(!t.may_use_last(None, A), "unknown presentation");
    }

    #[test]
    fn a_card_that_arrives_with_one_try_needs_one_re_placement() {
        let mut t = LastTry::default();
        // Card A was seen at one try and then taken away.
        t.one_left(Some(1), Some(A));
        // Card B arrives (presentation 3) with one try left: pinStatus, then authenticate.
        t.one_left(Some(3), None);
        assert!(!t.may_use_last(Some(3), B), "B was never seen before");
        t.one_left(Some(3), Some(B));
        assert!(!t.may_use_last(Some(3), B));
        t.one_left(Some(5), None);
        assert!(t.may_use_last(Some(5), B));
        assert!(!t.may_use_last(Some(5), A));
    }

    #[test]
    fn more_tries_or_a_correct_pin_start_over() {
        let mut t = LastTry::default();
        t.one_left(Some(1), Some(A));
        // Re-placed, the right PIN: the counter is back to three.
        t.clear();
        // Later, in the same presentation, two wrong PINs leave one again.
        t.one_left(Some(3), Some(A));
        assert!(!t.may_use_last(Some(3), A));
        assert!(t.may_use_last(Some(5), A));
    }

    #[test]
    fn an_unknown_presentation_never_counts_as_a_new_one() {
        let mut t = LastTry::default();
        t.one_left(None, Some(A));
        assert!(!t.may_use_last(Some(1), A));
        assert!(!t.may_use_last(None, A));
    }
}
