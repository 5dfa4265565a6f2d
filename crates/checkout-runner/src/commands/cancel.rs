//! `checkout cancel`: the customer withdraws an order. The cancel claims the checkout from
//! whichever process drives it (a `serve`, a `run`), applies it, and drives the checkout on here
//! to its end: its compensations if the cancel was honoured; past the point of no return, the
//! dispatch it was making, and the refusal is the command's one-line error.

use checkout_domain::Outcome;
use checkout_drive::Intervention;

use super::drive::DriveArgs;
use super::CliError;
use crate::backend::with_shop;
use crate::lookup::WhichArgs;

#[derive(Debug, clap::Args)]
pub struct CancelArgs {
    #[command(flatten)]
    drive: DriveArgs,
    #[command(flatten)]
    which: WhichArgs,
}

pub async fn execute(args: CancelArgs) -> Result<bool, CliError> {
    let named = args.which.named()?;
    with_shop!(args.drive.shop.open(false, args.drive.durability()).await?, shop => {
        let runner = args.drive.runner(shop);
        let id = super::find(runner.shop().as_ref(), &named).await?.id().clone();
        let Intervention { answer, fence, checkout } = runner.cancel(&id).await?;
        // Whatever the answer, this process holds the checkout now: it drives it to its end.
        let outcome = runner.drive_claimed(fence, checkout).await?;
        match answer {
            Ok(at) => {
                println!("cancelled {named} (checkout {id}) while it was {at}; it ended {}", outcome.name());
                Ok(matches!(outcome, Outcome::Compensated | Outcome::Rejected))
            }
            Err(reason) => Err(CliError::Refused { named, action: "cancelled", reason }),
        }
    })
}
