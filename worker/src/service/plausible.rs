//! Exposures and conversions as Plausible custom events (its Events API, `POST
//! {PLAUSIBLE_URL}/api/event`): what is sent, with which of the original client's headers,
//! and when an event cannot be sent at all. Plausible counts visitors by the client's
//! `User-Agent` and IP and silently drops an event without them, so an event lacking either
//! is dropped here, where it is counted, instead.

use serde::Serialize;

/// The Plausible event name of a first exposure (conversions use the event's own name).
pub const EXPOSURE_EVENT: &str = "Exposure";

/// Where and as which site events go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlausibleConfig {
    /// `{PLAUSIBLE_URL}/api/event`.
    pub endpoint: String,
    /// `PLAUSIBLE_DOMAIN`: the site as Plausible knows it.
    pub domain: String,
    /// `PLAUSIBLE_CURRENCY` (ISO 4217): events with a value carry it as revenue.
    pub currency: Option<String>,
}

impl PlausibleConfig {
    /// The configuration, when both the URL and the domain are set.
    pub fn new(url: Option<&str>, domain: Option<&str>, currency: Option<&str>) -> Option<Self> {
        let url = url?.trim().trim_end_matches('/');
        let domain = domain?.trim();
        if url.is_empty() || domain.is_empty() {
            return None;
        }
        Some(Self {
            endpoint: format!("{url}/api/event"),
            domain: domain.to_string(),
            currency: currency
                .map(str::trim)
                .filter(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_alphabetic()))
                .map(str::to_ascii_uppercase),
        })
    }
}

/// What Plausible needs to know about the original client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visitor {
    /// Its `User-Agent`.
    pub user_agent: Option<String>,
    /// Its IP: the first `X-Forwarded-For` entry (the original client's, also when a
    /// backend forwards it: Cloudflare appends the connecting IP after it), else
    /// `CF-Connecting-IP`.
    pub ip: Option<String>,
    /// The page: the proxied URL, else the request's `Referer`.
    pub page: Option<String>,
}

impl Visitor {
    /// The visitor of a request with these headers (`name`, `value` pairs, any case) and,
    /// in edge proxy mode, this page URL.
    pub fn from_headers<'a>(
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
        page: Option<&str>,
    ) -> Self {
        let mut v = Visitor {
            page: page.map(str::to_string),
            ..Visitor::default()
        };
        let mut connecting = None;
        let mut referer = None;
        for (name, value) in headers {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            match name.to_ascii_lowercase().as_str() {
                "user-agent" => v.user_agent = Some(value.to_string()),
                "cf-connecting-ip" => connecting = Some(value.to_string()),
                "x-forwarded-for" => {
                    v.ip = value
                        .split(',')
                        .next()
                        .map(|f| f.trim().to_string())
                        .filter(|f| !f.is_empty())
                }
                "referer" => referer = Some(value.to_string()),
                _ => {}
            }
        }
        v.ip = v.ip.or(connecting);
        v.page = v.page.or(referer);
        v
    }
}

/// A custom event's properties: which experiment and variant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Props {
    /// The experiment's key.
    pub experiment: String,
    /// The variant.
    pub variant: String,
}

/// A conversion's revenue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revenue {
    /// ISO 4217 code.
    pub currency: String,
    /// The event's value.
    pub amount: f64,
}

/// The body Plausible's Events API takes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventBody {
    /// Event name.
    pub name: String,
    /// The page URL.
    pub url: String,
    /// The site.
    pub domain: String,
    /// Experiment and variant.
    pub props: Props,
    /// For events with a value, when a currency is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revenue: Option<Revenue>,
}

/// One request to Plausible, ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    /// `{PLAUSIBLE_URL}/api/event`.
    pub endpoint: String,
    /// The original client's `User-Agent`.
    pub user_agent: String,
    /// The original client's IP, as `X-Forwarded-For`.
    pub forwarded_for: String,
    /// The JSON body.
    pub body: String,
}

/// An event to send, or why it cannot be.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// Ready.
    Send(Outgoing),
    /// Not sendable (Plausible would drop it silently): the reason.
    Dropped(&'static str),
}

/// Builds an event for `visitor`.
fn prepare(
    config: &PlausibleConfig,
    visitor: &Visitor,
    name: &str,
    props: Props,
    value: Option<f64>,
) -> Prepared {
    let (Some(user_agent), Some(ip)) = (&visitor.user_agent, &visitor.ip) else {
        return Prepared::Dropped("no client User-Agent or IP");
    };
    let page = visitor
        .page
        .clone()
        .filter(|p| p.starts_with("http://") || p.starts_with("https://"))
        .unwrap_or_else(|| format!("https://{}/", config.domain));
    let revenue = match (&config.currency, value) {
        (Some(currency), Some(amount)) => Some(Revenue {
            currency: currency.clone(),
            amount,
        }),
        _ => None,
    };
    let body = EventBody {
        name: name.to_string(),
        url: page,
        domain: config.domain.clone(),
        props,
        revenue,
    };
    match serde_json::to_string(&body) {
        Ok(body) => Prepared::Send(Outgoing {
            endpoint: config.endpoint.clone(),
            user_agent: user_agent.clone(),
            forwarded_for: ip.clone(),
            body,
        }),
        Err(_) => Prepared::Dropped("the event could not be written"),
    }
}

/// A first exposure of the visitor to `variant` of the experiment `key`.
pub fn exposure(config: &PlausibleConfig, visitor: &Visitor, key: &str, variant: &str) -> Prepared {
    let props = Props {
        experiment: key.to_string(),
        variant: variant.to_string(),
    };
    prepare(config, visitor, EXPOSURE_EVENT, props, None)
}

/// A counted event (a conversion) named `event` with `value`, of a visitor in `variant`.
pub fn conversion(
    config: &PlausibleConfig,
    visitor: &Visitor,
    key: &str,
    event: &str,
    variant: &str,
    value: f64,
) -> Prepared {
    let props = Props {
        experiment: key.to_string(),
        variant: variant.to_string(),
    };
    prepare(config, visitor, event, props, Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(currency: Option<&str>) -> PlausibleConfig {
        PlausibleConfig::new(Some("http://127.0.0.1:9/"), Some("shop.example"), currency).unwrap()
    }

    #[test]
    fn configuration_needs_both_settings() {
        assert!(PlausibleConfig::new(Some("https://p.example"), None, None).is_none());
        assert!(PlausibleConfig::new(Some(" "), Some("d"), None).is_none());
        let c = config(Some("eur"));
        assert_eq!(c.endpoint, "http://127.0.0.1:9/api/event");
        assert_eq!(c.currency.as_deref(), Some("EUR"));
        assert_eq!(config(Some("euros")).currency, None);
    }

    #[test]
    fn the_visitor_comes_from_the_original_clients_headers() {
        let v = Visitor::from_headers(
            [
                ("User-Agent", "Mozilla/5.0"),
                ("X-Forwarded-For", "203.0.113.9, 10.0.0.1"),
                ("Referer", "https://shop.example/cart"),
            ],
            None,
        );
        assert_eq!(v.ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(v.page.as_deref(), Some("https://shop.example/cart"));
        let forwarded = Visitor::from_headers(
            [
                ("cf-connecting-ip", "10.0.0.1"),
                ("x-forwarded-for", "198.51.100.7"),
            ],
            Some("https://shop.example/p"),
        );
        assert_eq!(
            forwarded.ip.as_deref(),
            Some("198.51.100.7"),
            "the original client's"
        );
        assert_eq!(forwarded.page.as_deref(), Some("https://shop.example/p"));
        let direct = Visitor::from_headers([("cf-connecting-ip", "192.0.2.1")], None);
        assert_eq!(direct.ip.as_deref(), Some("192.0.2.1"));
    }

    #[test]
    fn events_carry_the_documented_fields() {
        let visitor = Visitor {
            user_agent: Some("UA".into()),
            ip: Some("203.0.113.9".into()),
            page: None,
        };
        let Prepared::Send(x) = exposure(&config(None), &visitor, "checkout", "b") else {
            panic!("sendable");
        };
        let body: serde_json::Value = serde_json::from_str(&x.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"name": "Exposure", "url": "https://shop.example/", "domain": "shop.example",
                               "props": {"experiment": "checkout", "variant": "b"}})
        );
        assert_eq!(
            (x.user_agent.as_str(), x.forwarded_for.as_str()),
            ("UA", "203.0.113.9")
        );
        let Prepared::Send(c) = conversion(
            &config(Some("USD")),
            &visitor,
            "checkout",
            "purchase",
            "b",
            12.5,
        ) else {
            panic!("sendable");
        };
        let body: serde_json::Value = serde_json::from_str(&c.body).unwrap();
        assert_eq!(body["name"], "purchase");
        assert_eq!(
            body["revenue"],
            serde_json::json!({"currency": "USD", "amount": 12.5})
        );
        let anonymous = Visitor {
            ip: None,
            ..visitor
        };
        assert!(matches!(
            exposure(&config(None), &anonymous, "k", "b"),
            Prepared::Dropped(_)
        ));
    }
}
