//! How `checkout serve` takes connections: at most [`MAX_CONNECTIONS`] open at once (the rest wait
//! in the kernel's queue, not for file descriptors), each closed if a request's headers, or the
//! next request on a kept-alive connection, do not arrive within [`HEADER_TIMEOUT`], and all of
//! them asked to close after their current request when the server stops. Idle or silent
//! sockets, which used to be kept for ever, can no longer lock every client out.

use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// The most connections served at once: well under the common limit of 1,024 open files.
pub const MAX_CONNECTIONS: usize = 512;

/// How long a connection may take to send a request's headers, or stay idle between requests.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// The most a connection buffers of a request's head: headers past it are answered 431. hyper's
/// own bound is about 400 KB, which 512 connections could hold at once (200 MB) for nothing:
/// this shop's requests have a few short headers.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves `router` on `listener` until `stopping` turns true; then takes no new connection, asks
/// every open one to close after its current request, and returns once all have closed.
pub async fn serve_connections(listener: TcpListener, router: Router, mut stopping: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = stopping.wait_for(|stop| *stop) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was taken.
                    tracing::warn!(error = %e, "accepting a connection failed; trying again");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopping.wait_for(|stop| *stop) => break,
        };
        let (service, mut stopping) = (TowerToHyperService::new(router.clone()), stopping.clone());
        connections.spawn(async move {
            let _permit = permit;
            let mut builder = hyper::server::conn::http1::Builder::new();
            // A client may shut its side once its request is sent and still wait for the answer;
            // without this, hyper dropped such a request half-way, as if the client had left.
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .half_close(true)
                .max_buf_size(MAX_HEAD_BYTES);
            let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.wait_for(|stop| *stop) => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
        while connections.try_join_next().is_some() {}
    }
    while connections.join_next().await.is_some() {}
}
