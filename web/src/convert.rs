//! Between JavaScript values and the engine's bytes and reply frames.

use js_sys::{Array, Object, Uint8Array};
use std::cell::RefCell;
use vitrine_core::resp::frame::Frame;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsError, JsValue};

/// A key or argument from JavaScript: a string (sent as UTF-8) or a
/// `Uint8Array` (binary keys, as Redis allows).
pub fn bytes_of(value: &JsValue, what: &str) -> Result<Vec<u8>, JsError> {
    if let Some(text) = value.as_string() {
        return Ok(text.into_bytes());
    }
    if let Some(array) = value.dyn_ref::<Uint8Array>() {
        return Ok(array.to_vec());
    }
    Err(JsError::new(&format!("{what} must be a string or a Uint8Array")))
}

/// Text of reply bytes: UTF-8, with U+FFFD for bytes that are not.
pub fn text(bytes: &[u8]) -> JsValue {
    JsValue::from_str(&String::from_utf8_lossy(bytes))
}

/// A reply as the natural JavaScript value: strings for bulk and simple
/// strings, numbers for integers and doubles, `null`, arrays (also for
/// sets), plain objects for maps.
pub fn to_js(frame: Frame) -> JsValue {
    match frame {
        Frame::Simple(b) | Frame::Bulk(b) | Frame::Error(b) | Frame::BigNumber(b) | Frame::Verbatim(_, b) => text(&b),
        Frame::Integer(n) => JsValue::from_f64(n as f64),
        Frame::Null => JsValue::NULL,
        Frame::Double(digits) => JsValue::from_f64(double(&digits)),
        Frame::Boolean(b) => JsValue::from_bool(b),
        Frame::Array(items) | Frame::Set(items) | Frame::Push(items) => {
            items.into_iter().map(to_js).collect::<Array>().into()
        }
        Frame::Map(pairs) => {
            let object = record();
            for (field, value) in pairs {
                reflect_set(&object, &to_js(field), &to_js(value));
            }
            object.into()
        }
        Frame::Attribute(_, value) => to_js(*value),
    }
}

/// An object without a prototype: a hash field named `__proto__` is then
/// an ordinary property.
pub fn record() -> Object {
    Object::create(JsValue::NULL.unchecked_ref())
}

/// A RESP3 double's digits as a number (`inf`, `-inf`, `nan` included).
fn double(digits: &[u8]) -> f64 {
    match digits {
        b"inf" => f64::INFINITY,
        b"-inf" => f64::NEG_INFINITY,
        _ => std::str::from_utf8(digits)
            .ok()
            .and_then(|t| t.parse().ok())
            .unwrap_or(f64::NAN),
    }
}

/// A reply the caller wants as a number (`null` stays `null`).
pub fn number(frame: Frame) -> JsValue {
    match frame {
        Frame::Integer(n) => JsValue::from_f64(n as f64),
        Frame::Double(digits) => JsValue::from_f64(double(&digits)),
        Frame::Bulk(digits) => JsValue::from_f64(double(&digits)),
        _ => JsValue::NULL,
    }
}

/// A reply the caller wants as raw bytes (`null` stays `null`).
pub fn bytes(frame: Frame) -> JsValue {
    match frame {
        Frame::Bulk(b) | Frame::Simple(b) => Uint8Array::from(b.as_slice()).into(),
        _ => JsValue::NULL,
    }
}

/// Sets `object[name] = value`.
pub fn set(object: &Object, name: &'static str, value: impl Into<JsValue>) {
    reflect_set(object, &name_of(name), &value.into());
}

#[wasm_bindgen]
extern "C" {
    /// `Reflect.set` on an object made here (a plain or prototype-less
    /// object, a string key): it cannot throw, so it is bound without
    /// `catch`. js-sys's `Reflect::set` wraps every call in wasm-bindgen's
    /// exception handler, which allocates a closure and an `arguments`
    /// object per call: three per change event, and at 10,000 events a
    /// second the only reason the page's garbage collector ran (23 minor
    /// collections and a 20–30 ms full one in 9 seconds, none without).
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(object: &Object, key: &JsValue, value: &JsValue);
}

/// The JavaScript string for one of the few names that come back with
/// every change event (property and command names): made once, so that
/// 10,000 events a second do not each decode them from UTF-8 again.
/// (wasm-bindgen's `enable-interning` does the same with a hash map that
/// costs 4 KB of download; a handful of names needs no more than a list.)
pub fn name_of(name: &'static str) -> JsValue {
    thread_local! {
        static NAMES: RefCell<Vec<(&'static str, JsValue)>> = const { RefCell::new(Vec::new()) };
    }
    NAMES.with_borrow_mut(|names| {
        if let Some((_, value)) = names.iter().find(|(known, _)| *known == name) {
            return value.clone();
        }
        let value = JsValue::from_str(name);
        names.push((name, value.clone()));
        value
    })
}
