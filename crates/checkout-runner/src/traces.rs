//! Where the `checkout` program's logs and traces go. Log lines go to stderr, readable, filtered
//! by `CHECKOUT_LOG` (`info` by default). When `OTEL_EXPORTER_OTLP_ENDPOINT` is set, the drive
//! loop's spans (one per checkout driven, one per store call inside it, with the command, the
//! attempt and its result; ids, never a token) are also exported over OTLP/HTTP to that
//! collector, in batches, by `tracing-opentelemetry` and `opentelemetry-otlp`. Each layer has its
//! own filter, and the spans are at debug: made only when exported (or logged at debug);
//! `OTEL_EXPORTER_OTLP_PROTOCOL` picks `http/protobuf` (the default) or `http/json`, and the
//! other `OTEL_*` variables of the OpenTelemetry SDK apply. What is still batched when the
//! program ends is sent as it exits.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::Layer as _;

/// The installed subscriber's exporter, if any: dropping it sends what is still batched.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(e) = provider.shutdown() {
                eprintln!("warning: the last traces could not be sent: {e}");
            }
        }
    }
}

/// Installs the subscriber for the whole process; keep the answer alive until the end.
pub fn install() -> Telemetry {
    let filter = EnvFilter::try_from_env("CHECKOUT_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let lines = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false).with_filter(filter);
    let (provider, refused) = match std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT") {
        None => (None, None),
        Some(_) => match exporter() {
            Ok(provider) => (Some(provider), None),
            Err(e) => (None, Some(e)),
        },
    };
    // The drive loop's spans are at debug, made only for a layer that wants them: this one.
    let spans = provider.as_ref().map(|p| {
        let wanted = EnvFilter::new("info,checkout_drive=debug");
        tracing_opentelemetry::layer().with_tracer(p.tracer("checkout")).with_filter(wanted)
    });
    tracing_subscriber::registry().with(lines).with(spans).init();
    if let Some(e) = refused {
        tracing::warn!(error = %e, "OTEL_EXPORTER_OTLP_ENDPOINT is set, but traces cannot be exported; going on without");
    }
    Telemetry { provider }
}

/// The OTLP/HTTP exporter the `OTEL_*` variables describe, batching spans on a thread of its own.
fn exporter() -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let protocol = match std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL").as_deref() {
        Ok("http/json") => Protocol::HttpJson,
        _ => Protocol::HttpBinary,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder().with_http().with_protocol(protocol).build()?;
    let resource = Resource::builder().with_service_name("checkout").build();
    Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
}
