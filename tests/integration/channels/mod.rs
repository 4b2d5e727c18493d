//! The channels against their emulators: WhatsApp (Cloud API) and Telegram (Bot API) turns,
//! DM pairing, and exactly-once answers across `kill -9` (also with collected turns).

mod collect_crash;
mod crash;
mod media_groups;
mod media_out;
mod pairing;
mod telegram;
mod telegram_kinds;
mod whatsapp;
mod whatsapp_kinds;
