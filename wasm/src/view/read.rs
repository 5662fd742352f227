//! Reading the JSON view from JS values: [`Text`], [`FromJs`] and the `js_view!` macro that
//! declares a view struct with its JS keys.

use wasm_bindgen::JsValue;

use crate::js;

/// A text field of the JSON view: a string (numbers and booleans are accepted as text);
/// absent, `null`, objects and arrays count as absent. Trimmed; blank is absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text(pub Option<String>);

impl Text {
    /// The text, if given.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        let t = s.trim();
        Text((!t.is_empty()).then(|| t.to_string()))
    }
}

/// Reading a view from a JS value without failing: what does not fit is absent. (Read by hand
/// rather than through serde, which keeps serde's deserializers out of the `.wasm`.)
pub trait FromJs: Sized {
    /// The view of `value`.
    fn from_js(value: &JsValue) -> Self;
}

impl FromJs for Text {
    fn from_js(value: &JsValue) -> Self {
        if let Some(s) = value.as_string() {
            return Text::from(s.as_str());
        }
        if value.as_f64().is_some() {
            // JS formats the number (no float formatting code in the module).
            return Text::from(js::number_text(value).as_str());
        }
        match value.as_bool() {
            Some(b) => Text(Some(b.to_string())),
            None => Text(None),
        }
    }
}

impl<T: FromJs> FromJs for Option<T> {
    fn from_js(value: &JsValue) -> Self {
        value.is_object().then(|| T::from_js(value))
    }
}

impl<T: FromJs> FromJs for Vec<T> {
    /// An array of objects; a single object counts as a one-element list.
    fn from_js(value: &JsValue) -> Self {
        if js_sys::Array::is_array(value) {
            js_sys::Array::from(value)
                .iter()
                .filter(JsValue::is_object)
                .map(|v| T::from_js(&v))
                .collect()
        } else if value.is_object() {
            vec![T::from_js(value)]
        } else {
            Vec::new()
        }
    }
}

macro_rules! js_view {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident: $ty:ty = $key:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::view::FromJs for $name {
            fn from_js(value: &::wasm_bindgen::JsValue) -> Self {
                $name {
                    $( $field: $crate::view::FromJs::from_js(&$crate::js::get(value, $key)), )*
                }
            }
        }
    };
}

/// `Type { field: view.field.0.clone(), … }`: a core struct from a view's texts of the same
/// names (`field: other` takes `view.other`).
macro_rules! from_texts {
    ($view:expr => $($ty:ident)::+ { $($field:ident $(: $source:ident)?),* $(,)? }) => {
        $($ty)::+ { $($field: from_texts!(@text $view, $field $(, $source)?),)* }
    };
    (@text $view:expr, $field:ident) => { $view.$field.0.clone() };
    (@text $view:expr, $field:ident, $source:ident) => { $view.$source.0.clone() };
}
