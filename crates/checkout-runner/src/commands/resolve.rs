//! `checkout resolve`: an operator closes a checkout raised for them (a compensation or its
//! courier notice refused for good) by recording what was done by hand. Nothing moves in the
//! stores; `checkout audit` then counts what the checkout still holds as settled by hand. A
//! checkout not raised for an operator refuses, and is left to whoever drives it.

use checkout_domain::states::{NoteError, OperatorNote, Resolution};
use clap::ArgGroup;

use super::drive::DriveArgs;
use super::CliError;
use crate::backend::with_shop;
use crate::lookup::WhichArgs;

#[derive(Debug, clap::Args)]
#[command(group(ArgGroup::new("resolution").required(true).args(["given_back_by_hand", "courier_confirmed"])))]
pub struct ResolveArgs {
    #[command(flatten)]
    drive: DriveArgs,
    #[command(flatten)]
    which: WhichArgs,
    /// What the checkout still holds was given back outside the shop; say how (e.g. "refunded
    /// at the card terminal, receipt 4411"). For an unconfirmed notice: the courier was called
    /// off, and everything given back by hand.
    #[arg(long, value_name = "NOTE", value_parser = note)]
    given_back_by_hand: Option<OperatorNote>,
    /// The courier confirmed the collection: the order went out (only for an unconfirmed
    /// notice); say who confirmed, and how.
    #[arg(long, value_name = "NOTE", value_parser = note)]
    courier_confirmed: Option<OperatorNote>,
}

fn note(text: &str) -> Result<OperatorNote, NoteError> {
    OperatorNote::new(text)
}

pub async fn execute(args: ResolveArgs) -> Result<bool, CliError> {
    let named = args.which.named()?;
    let resolution = match (args.given_back_by_hand, args.courier_confirmed) {
        (Some(note), _) => Resolution::GivenBackByHand { note },
        (None, Some(note)) => Resolution::CourierConfirmed { note },
        (None, None) => unreachable!("clap requires one of the two"),
    };
    with_shop!(args.drive.shop.open(false, args.drive.durability()).await?, shop => {
        let runner = args.drive.runner(shop);
        let found = super::find(runner.shop().as_ref(), &named).await?;
        let id = found.id().clone();
        match runner.resolve(&found, resolution.clone()).await? {
            Ok(raised) => {
                println!("resolved {named} (checkout {id}), raised as {raised}: {}: {}", resolution.kind(), resolution.note());
                Ok(true)
            }
            Err(reason) => Err(CliError::Refused { named, action: "resolved", reason }),
        }
    })
}
