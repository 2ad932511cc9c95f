//! Whether a request's body was read to its end. When it was not (a 413 for a declared length over the limit,
//! a 401 or 415 decided on the headers alone), the rest of it is still on its way, and the connection cannot
//! carry another request: the answer then says `Connection: close`, so the client does not send its next
//! request into a connection that is about to go.

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

/// Set once the body it was handed out with has been read to its end.
#[derive(Debug, Clone)]
pub struct ReadToEnd(Arc<AtomicBool>);

impl ReadToEnd {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

pub struct Tracked<B> {
    inner: B,
    read_to_end: ReadToEnd,
}

impl<B: Body> Tracked<B> {
    pub fn new(inner: B) -> (Tracked<B>, ReadToEnd) {
        // A request without a body has nothing left to read, whether or not anyone looks at it.
        let read_to_end = ReadToEnd(Arc::new(AtomicBool::new(inner.is_end_stream())));
        (
            Tracked {
                inner,
                read_to_end: read_to_end.clone(),
            },
            read_to_end,
        )
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Tracked<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        // Readers that know the length stop after the last frame without asking for the end.
        let finished = match &polled {
            Poll::Ready(None) => true,
            Poll::Ready(Some(Ok(_))) => self.inner.is_end_stream(),
            _ => false,
        };
        if finished {
            self.read_to_end.set();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
