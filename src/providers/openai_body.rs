//! The JSON body of an OpenAI Chat Completions call, serialised straight from the
//! [`ChatRequest`] it borrows: no intermediate `serde_json::Value` tree and no copy of the
//! conversation, so a long history costs one pass of the serialiser and nothing more.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::types::{ChatMessage, ChatRequest, ImagePart, ToolCall, ToolChoice, ToolSpec};

/// The body of `request`.
pub(crate) struct Body<'a>(pub(crate) &'a ChatRequest);

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let request = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("model", &request.model)?;
        map.serialize_entry("stream", &true)?;
        map.serialize_entry("stream_options", &IncludeUsage)?;
        map.serialize_entry("messages", &Messages(request))?;
        map.serialize_entry("max_completion_tokens", &request.max_tokens)?;
        if !request.tools.is_empty() {
            map.serialize_entry("tools", &Tools(&request.tools))?;
        }
        let sampling = &request.sampling;
        if let Some(temperature) = sampling.temperature {
            map.serialize_entry("temperature", &temperature)?;
        }
        if let Some(top_p) = sampling.top_p {
            map.serialize_entry("top_p", &top_p)?;
        }
        if !sampling.stop.is_empty() {
            map.serialize_entry("stop", &sampling.stop)?;
        }
        // A choice without tools is an error to both providers.
        if let Some(choice) = sampling
            .tool_choice
            .as_ref()
            .filter(|_| !request.tools.is_empty())
        {
            map.serialize_entry("tool_choice", &Choice(choice))?;
        }
        map.end()
    }
}

/// `"auto"`, `"none"`, `"required"` or `{"type":"function","function":{"name":...}}`.
struct Choice<'a>(&'a ToolChoice);

impl Serialize for Choice<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            ToolChoice::Auto => serializer.serialize_str("auto"),
            ToolChoice::None => serializer.serialize_str("none"),
            ToolChoice::Required => serializer.serialize_str("required"),
            ToolChoice::Function(name) => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("type", "function")?;
                map.serialize_entry("function", &serde_json::json!({ "name": name }))?;
                map.end()
            }
        }
    }
}

struct IncludeUsage;

impl Serialize for IncludeUsage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("include_usage", &true)?;
        map.end()
    }
}

/// The system prompt (when set), then the conversation.
struct Messages<'a>(&'a ChatRequest);

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let request = self.0;
        let system = request.system.as_deref().filter(|s| !s.is_empty());
        let mut seq = serializer.serialize_seq(Some(
            request.conversation_len() + usize::from(system.is_some()),
        ))?;
        if let Some(system) = system {
            seq.serialize_element(&Role("system", system))?;
        }
        for message in request.conversation() {
            seq.serialize_element(&Message(message))?;
        }
        seq.end()
    }
}

/// `{"role": ..., "content": ...}`.
struct Role<'a>(&'static str, &'a str);

impl Serialize for Role<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("role", self.0)?;
        map.serialize_entry("content", self.1)?;
        map.end()
    }
}

struct Message<'a>(&'a ChatMessage);

impl Serialize for Message<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            ChatMessage::User { content, images } if images.is_empty() => {
                Role("user", content).serialize(serializer)
            }
            ChatMessage::User { content, images } => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("role", "user")?;
                map.serialize_entry("content", &UserParts { content, images })?;
                map.end()
            }
            ChatMessage::Assistant { text, tool_calls } => {
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("role", "assistant")?;
                if !tool_calls.is_empty() && text.is_empty() {
                    map.serialize_entry("content", &())?;
                } else {
                    map.serialize_entry("content", text)?;
                }
                if !tool_calls.is_empty() {
                    map.serialize_entry("tool_calls", &Calls(tool_calls))?;
                }
                map.end()
            }
            ChatMessage::Tool {
                call_id, content, ..
            } => {
                let mut map = serializer.serialize_map(Some(3))?;
                map.serialize_entry("role", "tool")?;
                map.serialize_entry("tool_call_id", call_id)?;
                map.serialize_entry("content", content)?;
                map.end()
            }
        }
    }
}

/// A user message with images: `[{type: text}, {type: image_url, image_url: {url: data:...}}]`.
/// An image whose bytes the run did not load (one from an earlier turn) becomes its note in the
/// text part.
struct UserParts<'a> {
    content: &'a str,
    images: &'a [ImagePart],
}

impl Serialize for UserParts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = self.content.to_string();
        for image in self.images.iter().filter(|i| i.data.is_none()) {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(image.note());
        }
        let mut seq = serializer.serialize_seq(None)?;
        if !text.is_empty() {
            seq.serialize_element(&serde_json::json!({"type": "text", "text": text}))?;
        }
        for image in self.images {
            if let Some(data) = &image.data {
                seq.serialize_element(&ImageUrl(&image.media_type, data))?;
            }
        }
        seq.end()
    }
}

/// `{"type": "image_url", "image_url": {"url": "data:<type>;base64,<data>"}}`, the data written
/// straight from the loaded base64.
struct ImageUrl<'a>(&'a str, &'a str);

impl Serialize for ImageUrl<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Url<'a>(&'a str, &'a str);
        impl Serialize for Url<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&format_args!("data:{};base64,{}", self.0, self.1))
            }
        }
        struct Inner<'a>(&'a str, &'a str);
        impl Serialize for Inner<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("url", &Url(self.0, self.1))?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", "image_url")?;
        map.serialize_entry("image_url", &Inner(self.0, self.1))?;
        map.end()
    }
}

struct Calls<'a>(&'a [ToolCall]);

impl Serialize for Calls<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for call in self.0 {
            seq.serialize_element(&Call(call))?;
        }
        seq.end()
    }
}

struct Call<'a>(&'a ToolCall);

impl Serialize for Call<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let call = self.0;
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("id", &call.id)?;
        map.serialize_entry("type", "function")?;
        map.serialize_entry(
            "function",
            &Function {
                name: &call.name,
                // OpenAI takes the arguments as a string of JSON.
                arguments: call.arguments.to_string(),
            },
        )?;
        map.end()
    }
}

#[derive(serde::Serialize)]
struct Function<'a> {
    name: &'a str,
    arguments: String,
}

struct Tools<'a>(&'a [ToolSpec]);

impl Serialize for Tools<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for spec in self.0 {
            seq.serialize_element(&Tool(spec))?;
        }
        seq.end()
    }
}

struct Tool<'a>(&'a ToolSpec);

#[derive(serde::Serialize)]
struct FunctionSpec<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a serde_json::Value,
}

impl Serialize for Tool<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let spec = self.0;
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", "function")?;
        map.serialize_entry(
            "function",
            &FunctionSpec {
                name: &spec.name,
                description: &spec.description,
                parameters: &spec.parameters,
            },
        )?;
        map.end()
    }
}
