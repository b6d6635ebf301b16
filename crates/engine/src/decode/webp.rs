//! WebP through libwebp: lossy, lossless, alpha, and animations (composited by the demuxer).

use libwebp_sys as w;
use webp::{BitstreamFeatures, Decoder};

use crate::error::{EngineError, undecodable};
use crate::raster::{Frame, Picture, Raster};

pub fn decode(bytes: &[u8]) -> Result<Picture, EngineError> {
    let features = BitstreamFeatures::new(bytes)
        .ok_or_else(|| undecodable("WebP: invalid bitstream header"))?;
    if features.has_animation() {
        return decode_animation(bytes);
    }
    let image = Decoder::new(bytes)
        .decode()
        .ok_or_else(|| undecodable("WebP: cannot decode image data"))?;
    let channels = if image.is_alpha() { 4 } else { 3 };
    Ok(Picture::still(Raster::new(
        image.width(),
        image.height(),
        channels,
        image.to_vec(),
    )))
}

/// Every frame of an animation, composited on the canvas by libwebp's animation decoder.
///
/// Our own loop rather than the `webp` crate's: that one retries a frame that fails to decode
/// for as long as the decoder says more frames remain, which it does forever, so one corrupt
/// frame (found by the engine fuzz target) hung the process. Here a bad frame ends the decode.
fn decode_animation(bytes: &[u8]) -> Result<Picture, EngineError> {
    // SAFETY: WebPAnimDecoderOptions is a plain C struct for which zero bytes are valid; the
    // init call below fills it.
    let mut options: w::WebPAnimDecoderOptions = unsafe { std::mem::zeroed() };
    // SAFETY: `options` is writable, and the ABI version is the linked libwebp's own.
    let ok =
        unsafe { w::WebPAnimDecoderOptionsInitInternal(&mut options, w::WebPGetDemuxABIVersion()) };
    if ok == 0 {
        return Err(undecodable("WebP animation: decoder options"));
    }
    options.color_mode = w::WEBP_CSP_MODE::MODE_RGBA;
    options.use_threads = 0;
    let data = w::WebPData {
        bytes: bytes.as_ptr(),
        size: bytes.len(),
    };
    // SAFETY: the decoder reads `bytes` through `data`, and `bytes` outlives it: the guard
    // deletes the decoder on every exit from this function.
    let decoder = AnimDecoder(unsafe {
        w::WebPAnimDecoderNewInternal(&data, &options, w::WebPGetDemuxABIVersion())
    });
    if decoder.0.is_null() {
        return Err(undecodable("WebP animation: invalid container"));
    }
    // SAFETY: WebPAnimInfo is a plain C struct for which zero bytes are valid.
    let mut info: w::WebPAnimInfo = unsafe { std::mem::zeroed() };
    // SAFETY: the decoder is live and `info` writable.
    if unsafe { w::WebPAnimDecoderGetInfo(decoder.0, &mut info) } == 0 {
        return Err(undecodable("WebP animation: no animation info"));
    }
    let (width, height) = (info.canvas_width, info.canvas_height);
    let len = width as usize * height as usize * 4;
    let mut frames = Vec::with_capacity(info.frame_count.min(1024) as usize);
    let mut last_ms = 0;
    // SAFETY (both calls in the condition and the body): the decoder is live.
    while unsafe { w::WebPAnimDecoderHasMoreFrames(decoder.0) } > 0 {
        crate::interrupt::checkpoint(&format!("decoding WebP frame {}", frames.len() + 1))?;
        let mut buf: *mut u8 = std::ptr::null_mut();
        let mut end: std::os::raw::c_int = 0;
        // SAFETY: the decoder is live; `buf` and `end` are writable.
        let ok = unsafe { w::WebPAnimDecoderGetNext(decoder.0, &mut buf, &mut end) };
        if ok == 0 || buf.is_null() {
            return Err(undecodable(format!(
                "WebP animation: frame {} is corrupt",
                frames.len() + 1
            )));
        }
        // SAFETY: a decoded frame is canvas_width × canvas_height RGBA pixels at `buf`, valid
        // until the next GetNext call; it is copied here, before that.
        let pixels = unsafe { std::slice::from_raw_parts(buf, len) }.to_vec();
        // Timestamps are end times; the delay is the gap to the previous one.
        frames.push(Frame {
            raster: Raster::new(width, height, 4, pixels),
            delay_ms: u32::try_from(end - last_ms).unwrap_or(100).max(10),
        });
        last_ms = end;
    }
    if frames.is_empty() {
        return Err(undecodable("WebP animation has no frames"));
    }
    let loop_count = u16::try_from(info.loop_count).unwrap_or(0);
    Ok(Picture { frames, loop_count })
}

/// Deletes the animation decoder however the decode ends.
struct AnimDecoder(*mut w::WebPAnimDecoder);

impl Drop for AnimDecoder {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: created by WebPAnimDecoderNewInternal and deleted only here.
            unsafe { w::WebPAnimDecoderDelete(self.0) };
        }
    }
}
