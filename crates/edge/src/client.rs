//! A minimal keep-alive HTTP/1.1 client for loopback: the load benchmark and the tests talk to
//! `imgfront dev` through it, as a browser would.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub use imgfront_origin::Response;

pub struct Client {
    addr: SocketAddr,
    sender: SendRequest<Empty<Bytes>>,
}

pub type Error = Box<dyn std::error::Error + Send + Sync>;

impl Client {
    pub async fn connect(addr: SocketAddr) -> Result<Client, Error> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Client { addr, sender })
    }

    /// Sends `method path_and_query` with extra headers and reads the whole body.
    pub async fn send(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
    ) -> Result<Response, Error> {
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(path_and_query)
            .header("host", self.addr.to_string());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        self.sender.ready().await?;
        let response = self
            .sender
            .send_request(builder.body(Empty::new())?)
            .await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&mut self, path_and_query: &str, accept: &str) -> Result<Response, Error> {
        self.send("GET", path_and_query, &[("accept", accept)])
            .await
    }
}
