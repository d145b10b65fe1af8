// JPEG baseline and extended 8-bit decoding (PS3.5 8.2.1; 1.2.840.10008.1.2.4.50 / .51) with libjpeg-turbo's
// libjpeg API. One decompressor per worker, kept from frame to frame (jpeg_abort_decompress after each frame,
// failed or not; the coding tables, which libjpeg keeps across frames, cleared before each). Libjpeg reports errors
// through error_exit, which must not return: ours longjmps back to a setjmp in one of the lj_* functions below,
// which hold no C++ objects (nothing to unwind), and the caller throws DecodeError with libjpeg's message.
// Warnings (corrupt entropy data, premature end) are errors too: libjpeg would otherwise fill the rest of the
// frame with grey and report success.
//
// Defaults are libjpeg's (ISLOW IDCT, fancy upsampling), as in Pillow, whose decode pydicom uses: whole frames are
// bit-identical to it. Reduced resolutions use libjpeg's DCT scaling (scale_denom 2, 4, 8), as Pillow's draft().
// Crops skip the rows above with jpeg_skip_scanlines, stop after the last row wanted, and decode only the iMCU
// columns around the target with jpeg_crop_scanline where that gives the same pixels as the whole decode
// (crop_is_exact); the output is always that rectangle of the whole decode at the same scale.
#include "jpeg_decode.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "errors.h"

#ifdef FRAMECODEC_HAVE_LIBJPEG_TURBO
#include <jerror.h>
#include <jpeglib.h>

#include <csetjmp>
#include <cstdio>  // jpeglib.h uses FILE and size_t without including their headers
#endif

namespace framecodec {

#ifdef FRAMECODEC_HAVE_LIBJPEG_TURBO

#define FRAMECODEC_STR2(x) #x
#define FRAMECODEC_STR(x) FRAMECODEC_STR2(x)

namespace {

constexpr JDIMENSION kBatch = 16;  // rows per jpeg_read_scanlines call
// A codestream of more scans is refused: in a progressive one each scan can be a few bytes that cost a pass over
// the whole frame (the guard djpeg's -maxscans offers against such CPU bombs). Real ones have about 10.
constexpr int kMaxScans = 500;

struct ErrorManager {
  jpeg_error_mgr pub;  // first: libjpeg's cinfo->err points at it
  std::jmp_buf jump;   // set by the lj_* function currently calling libjpeg
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  ErrorManager* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*err->pub.format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// Level -1 is a warning, >= 0 a trace message. Every warning but two means corrupt or truncated data (bad Huffman
// code, premature end, a missing restart marker, bad scan parameters); those two are about APP marker contents
// that do not change the pixels here (the colour rule below reads the Adobe transform itself).
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0 || cinfo->err->msg_code == JWRN_JFIF_MAJOR || cinfo->err->msg_code == JWRN_ADOBE_XFORM) return;
  on_error(cinfo);
}

void on_progress(j_common_ptr cinfo) {
  if (reinterpret_cast<j_decompress_ptr>(cinfo)->input_scan_number <= kMaxScans) return;
  ErrorManager* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  std::snprintf(err->message, sizeof err->message, "more than %d scans", kMaxScans);
  std::longjmp(err->jump, 1);
}

// What lj_start and lj_rows do with the frame, in output (scaled) pixels.
struct Plan {
  J_COLOR_SPACE in_space, out_space;
  unsigned scale;
  long max_memory;
  JDIMENSION x, y, width, height;  // the target rectangle
  uint8_t* out;
  size_t stride;
};

// The decompressor and what goes with it: JpegDecoder::State.
struct Context {
  jpeg_decompress_struct cinfo;
  ErrorManager err;
  jpeg_progress_mgr progress;
  bool created = false;
  // T.81 K.3's tables, which libjpeg-turbo gives a sequential Huffman codestream that does not define its own.
  JHUFF_TBL std_dc[2], std_ac[2];
  std::vector<uint8_t> rows;  // kBatch rows of a horizontal crop, at the iMCU-aligned width libjpeg writes
};

// Whether jpeg_crop_scanline gives the columns of the whole decode (libjpeg-turbo 2.1.5; the fuzz target and the
// tests compare every crop with the whole frame). Not when:
// - progressive: block smoothing of coarsely coded blocks (jdcoefct.c decompress_smooth_data) reads two blocks
//   each way and takes the crop's first block column for the image's edge;
// - a component scaled up by the IDCT (DCT scaling gives subsampled components larger blocks, jdmaster.c) is still
//   upsampled, with fancy upsampling: jpeg_crop_scanline sets its downsampled_width, which the fancy upsamplers
//   read, as if it were not scaled up (e.g. 4:1:1 at scale 1/2).
// Then whole rows are decoded (the rows above still skipped) and the target's columns copied.
bool crop_is_exact(const jpeg_decompress_struct& c) {
  if (c.progressive_mode) return false;
#if JPEG_LIB_VERSION >= 70  // libjpeg-turbo built with the libjpeg 7/8 API
  const int least = c.min_DCT_h_scaled_size;
  auto size = [](const jpeg_component_info& comp) { return comp.DCT_h_scaled_size; };
#else
  const int least = c.min_DCT_scaled_size;
  auto size = [](const jpeg_component_info& comp) { return comp.DCT_scaled_size; };
#endif
  if (!c.do_fancy_upsampling || least <= 1) return true;  // no fancy upsampling (jinit_upsampler)
  for (int i = 0; i < c.num_components; ++i) {
    const jpeg_component_info& comp = c.comp_info[i];
    if (size(comp) != least && (comp.h_samp_factor * size(comp) / least != c.max_h_samp_factor ||
                                comp.v_samp_factor * size(comp) / least != c.max_v_samp_factor))
      return false;
  }
  return true;
}

// The setjmp functions: plain C apart from their signatures (no objects with destructors, no exceptions).
// Each returns false with err.message set when libjpeg failed.

bool lj_create(Context* s, jpeg_compress_struct* std_tables) {
  s->cinfo.err = jpeg_std_error(&s->err.pub);
  s->err.pub.error_exit = on_error;  // never libjpeg's, which calls exit()
  s->err.pub.emit_message = on_message;
  s->progress.progress_monitor = on_progress;
  std_tables->err = &s->err.pub;
  if (setjmp(s->err.jump)) return false;
  jpeg_create_decompress(&s->cinfo);
  s->created = true;
  // The tables live as long as the decompressor and are cleared before each frame (forget_tables): a codestream
  // must not decode with tables a previous frame defined. Allocated here, libjpeg never allocates others.
  j_common_ptr common = reinterpret_cast<j_common_ptr>(&s->cinfo);
  for (int i = 0; i < NUM_QUANT_TBLS; ++i) s->cinfo.quant_tbl_ptrs[i] = jpeg_alloc_quant_table(common);
  for (int i = 0; i < NUM_HUFF_TBLS; ++i) {
    s->cinfo.dc_huff_tbl_ptrs[i] = jpeg_alloc_huff_table(common);
    s->cinfo.ac_huff_tbl_ptrs[i] = jpeg_alloc_huff_table(common);
  }
  // libjpeg's own copy of the K.3 tables: the ones jpeg_set_defaults gives a compressor.
  jpeg_create_compress(std_tables);
  std_tables->in_color_space = JCS_RGB;
  jpeg_set_defaults(std_tables);
  for (int i = 0; i < 2; ++i) {
    s->std_dc[i] = *std_tables->dc_huff_tbl_ptrs[i];
    s->std_ac[i] = *std_tables->ac_huff_tbl_ptrs[i];
  }
  return true;
}

bool lj_header(Context* s, const uint8_t* data, size_t size) {
  if (setjmp(s->err.jump)) return false;
  jpeg_mem_src(&s->cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&s->cinfo, TRUE);
  return true;
}

bool lj_start(Context* s, const Plan* p) {
  if (setjmp(s->err.jump)) return false;
  j_decompress_ptr c = &s->cinfo;
  c->jpeg_color_space = p->in_space;
  c->out_color_space = p->out_space;
  c->scale_num = 1;
  c->scale_denom = p->scale;
  c->mem->max_memory_to_use = p->max_memory;
  c->progress = &s->progress;
  jpeg_start_decompress(c);
  return true;
}

bool lj_rows(Context* s, const Plan* p) {
  if (setjmp(s->err.jump)) return false;
  j_decompress_ptr c = &s->cinfo;
  const size_t samples = static_cast<size_t>(c->output_components);
  const JDIMENSION full = c->output_width;
  JDIMENSION xoff = 0, width = full;
  if ((p->x != 0 || p->width != full) && crop_is_exact(*c)) {
    // Fancy upsampling (the triangle filter of libjpeg's jdsample.c) computes a pixel from its chroma sample and
    // the next one out; at the edges of the decoded columns it repeats the edge sample instead. So one more
    // column is decoded on each side (jpeg_crop_scanline then widens the left edge to an iMCU boundary), and at
    // least 2 * max_h_samp_factor + 1 columns, since with 2 chroma samples or fewer libjpeg upsamples by plain
    // replication (jinit_upsampler), unlike the whole frame.
    const JDIMENSION least = static_cast<JDIMENSION>(2 * c->max_h_samp_factor + 1);
    JDIMENSION lo = p->x > 0 ? p->x - 1 : 0;
    if (full >= least && lo > full - least) lo = full - least;
    JDIMENSION hi = p->x + p->width + 1 < full ? p->x + p->width + 1 : full;
    if (hi < lo + least) hi = lo + least < full ? lo + least : full;
    xoff = lo;
    width = hi - lo;
    jpeg_crop_scanline(c, &xoff, &width);
  }
  const bool direct = xoff == 0 && width == p->width;  // libjpeg writes the target's rows themselves
  const size_t pitch = static_cast<size_t>(width) * samples;
  if (p->y > 0 && jpeg_skip_scanlines(c, p->y) != p->y) {
    std::snprintf(s->err.message, sizeof s->err.message, "could not skip to row %u", p->y);
    return false;
  }
  JSAMPROW rows[kBatch];
  for (JDIMENSION done = 0; done < p->height;) {
    const JDIMENSION want = p->height - done < kBatch ? p->height - done : kBatch;
    for (JDIMENSION i = 0; i < want; ++i)
      rows[i] = direct ? p->out + (done + i) * p->stride : s->rows.data() + i * pitch;
    const JDIMENSION got = jpeg_read_scanlines(c, rows, want);
    if (got == 0) {  // the memory source cannot suspend: cannot happen
      std::snprintf(s->err.message, sizeof s->err.message, "no rows after row %u", c->output_scanline);
      return false;
    }
    if (!direct)
      for (JDIMENSION i = 0; i < got; ++i)
        std::memcpy(p->out + (done + i) * p->stride, rows[i] + (p->x - xoff) * samples, p->width * samples);
    done += got;
  }
  return true;
}

[[noreturn]] void fail(const Context& s) { throw DecodeError(std::string("JPEG codestream: ") + s.err.message); }

// Undefined-table markers: no Huffman codes (bits all 0), quantizers all 0 (T.81 B.2.4.1 forbids 0).
void forget_tables(Context& s) {
  for (JQUANT_TBL* q : s.cinfo.quant_tbl_ptrs) std::memset(q->quantval, 0, sizeof q->quantval);
  for (JHUFF_TBL* h : s.cinfo.dc_huff_tbl_ptrs) std::memset(h->bits, 0, sizeof h->bits);
  for (JHUFF_TBL* h : s.cinfo.ac_huff_tbl_ptrs) std::memset(h->bits, 0, sizeof h->bits);
}

bool undefined(const JHUFF_TBL* h) {
  for (UINT8 b : h->bits)
    if (b) return false;
  return true;
}

// jpeg_abort_decompress whatever happens: the decompressor is ready for the next frame and holds no memory of it.
struct Abort {
  j_decompress_ptr cinfo;
  ~Abort() { jpeg_abort_decompress(cinfo); }
};

// pydicom 3.1 DecodeRunner._conform_jpg_colorspace, whose result its Pillow plugin then follows: whether the
// stored components of a 3-sample frame are YCbCr, from the Photometric Interpretation corrected by the
// codestream (component IDs 'R' 'G' 'B', a JFIF APP0 marker, an Adobe APP14 marker's transform; ITU-T T.872).
bool stored_ybr(const jpeg_decompress_struct& c, bool ybr) {
  const int a = c.comp_info[0].component_id, b = c.comp_info[1].component_id, d = c.comp_info[2].component_id;
  const bool rgb_ids = (a == 'R' && b == 'G' && d == 'B') || (a == 'r' && b == 'g' && d == 'b');
  if (rgb_ids && ybr) return false;  // pydicom only acts on the IDs when the data set does not already say RGB
  if (c.saw_JFIF_marker && !ybr) return true;
  if (c.saw_Adobe_marker) {
    if (c.Adobe_transform == 0 && ybr) return false;
    if (c.Adobe_transform == 1 && !ybr) return true;
  }
  return ybr;
}

std::string dims(size_t columns, size_t rows, size_t samples) {
  return std::to_string(columns) + " x " + std::to_string(rows) + " x " + std::to_string(samples);
}

}  // namespace

struct JpegDecoder::State : Context {};

std::string jpeg_library() {
#ifdef LIBJPEG_TURBO_VERSION
  return "libjpeg-turbo " FRAMECODEC_STR(LIBJPEG_TURBO_VERSION);
#else
  return "libjpeg-turbo";
#endif
}

JpegDecoder::JpegDecoder() : state_(new State()) {  // (): zeroed, so destroying a half-made libjpeg object is safe
  jpeg_compress_struct std_tables{};
  const bool ok = lj_create(state_.get(), &std_tables);
  jpeg_destroy_compress(&std_tables);
  if (!ok) {
    if (state_->created) jpeg_destroy_decompress(&state_->cinfo);
    throw std::bad_alloc();  // the only way libjpeg fails here
  }
}

JpegDecoder::~JpegDecoder() { jpeg_destroy_decompress(&state_->cinfo); }

bool JpegDecoder::supports(const ImageFrame& f, const ImageTarget& t) const {
  if (t.width == 0 || t.height == 0 || t.x > f.columns || t.width > f.columns - t.x || t.y > f.rows ||
      t.height > f.rows - t.y)
    return false;
  const size_t s = t.scale;
  if (s != 1 && s != 2 && s != 4 && s != 8) return false;
  // DCT scaling makes ceil(columns / s) x ceil(rows / s) pixels: the target must be a rectangle of those.
  return t.x % s == 0 && t.y % s == 0 && (t.width % s == 0 || t.x + t.width == f.columns) &&
         (t.height % s == 0 || t.y + t.height == f.rows);
}

void JpegDecoder::decode(ConstBytes codestream, const ImageFrame& f, const ImageTarget& t) {
  if (!supports(f, t))
    throw std::invalid_argument("JPEG: the rectangle " + std::to_string(t.width) + " x " + std::to_string(t.height) +
                                " at (" + std::to_string(t.x) + ", " + std::to_string(t.y) + ") at scale 1/" +
                                std::to_string(t.scale) + " is not one this decoder produces from a " +
                                std::to_string(f.columns) + " x " + std::to_string(f.rows) + " frame");
  if (t.stride < t.out_width() * f.samples)
    throw std::invalid_argument("JPEG: target stride " + std::to_string(t.stride) + " is less than a row of " +
                                std::to_string(t.out_width() * f.samples) + " bytes");
  State& s = *state_;
  jpeg_decompress_struct& c = s.cinfo;
  Abort abort{&c};
  forget_tables(s);
  if (!lj_header(&s, codestream.data, codestream.size)) {
    if (s.err.pub.msg_code == JERR_BAD_PRECISION && c.data_precision == 12)
      throw std::invalid_argument(
          "12-bit JPEG (PS3.5 8.2.1, Process 4) is not decoded by this build: its "
          "libjpeg-turbo decodes 8-bit samples only");
    fail(s);
  }
  // jpeg_read_header refuses any precision but 8 (this libjpeg-turbo's BITS_IN_JSAMPLE); checked again anyway.
  if (c.data_precision != 8)
    throw DecodeError("the JPEG header says " + std::to_string(c.data_precision) + "-bit samples");
  if (f.bits_allocated != 8)
    throw std::invalid_argument("8-bit JPEG decodes into Bits Allocated 8, not " + std::to_string(f.bits_allocated));
  if (f.samples != 1 && f.samples != 3)
    throw std::invalid_argument("JPEG frames have 1 or 3 samples per pixel here, not " + std::to_string(f.samples));
  // PS3.5 8.2: the codestream must describe the data set's frame. Nothing is allocated before this check, and
  // everything after it (libjpeg's row buffers, our crop rows) is bounded by the frame's size.
  if (c.image_width != f.columns || c.image_height != f.rows || static_cast<size_t>(c.num_components) != f.samples)
    throw DecodeError("the JPEG header says " + dims(c.image_width, c.image_height, c.num_components) +
                      " samples, the data set " + dims(f.columns, f.rows, f.samples));
  // PS3.5 A.4.1 wants the tables in every frame, but a fresh libjpeg-turbo decompressor (Pillow's) decodes a
  // sequential Huffman codestream without DHT with T.81 K.3's tables in slots 0 and 1 (jstdhuff.c): so do we.
  // Any other table used but not defined stays empty, and decoding with it fails (bad Huffman code).
  if (!c.progressive_mode && !c.arith_code)
    for (int i = 0; i < 2; ++i) {
      if (undefined(c.dc_huff_tbl_ptrs[i])) *c.dc_huff_tbl_ptrs[i] = s.std_dc[i];
      if (undefined(c.ac_huff_tbl_ptrs[i])) *c.ac_huff_tbl_ptrs[i] = s.std_ac[i];
    }

  Plan p;
  if (f.samples == 1) {
    p.in_space = p.out_space = JCS_GRAYSCALE;
  } else if (stored_ybr(c, f.ybr)) {
    p.in_space = JCS_YCbCr;
    p.out_space = f.raw ? JCS_YCbCr : JCS_RGB;  // libjpeg's conversion: T.871 (JFIF) 7, as Pillow's
  } else {
    p.in_space = p.out_space = JCS_RGB;  // stored as RGB: no conversion
  }
  p.scale = t.scale;
  // A multi-scan (progressive) codestream keeps all its coefficients: 2 bytes a sample, blocks padded to whole
  // MCUs (at most 4 x 8 pixels more each way). libjpeg refuses to go over (it has no backing store).
  p.max_memory = static_cast<long>(2 * f.samples * (f.columns + 32) * (f.rows + 32) + (16 << 20));
  p.x = static_cast<JDIMENSION>(t.x / t.scale);
  p.y = static_cast<JDIMENSION>(t.y / t.scale);
  p.width = static_cast<JDIMENSION>(t.out_width());
  p.height = static_cast<JDIMENSION>(t.out_height());
  p.out = t.out;
  p.stride = t.stride;
  const size_t full_width = (f.columns + t.scale - 1) / t.scale;
  if (p.width != full_width && s.rows.size() < kBatch * full_width * f.samples)
    s.rows.resize(kBatch * full_width * f.samples);

  if (!lj_start(&s, &p)) fail(s);
  if (c.output_width != full_width || c.output_height != (f.rows + t.scale - 1) / t.scale ||
      static_cast<size_t>(c.output_components) != f.samples)
    throw std::logic_error("libjpeg-turbo's output is not the size the frame and scale give");
  // The quantization tables the scans used (copied when each component's first scan started; a multi-scan
  // codestream is read whole by jpeg_start_decompress).
  for (int i = 0; i < c.num_components; ++i) {
    const JQUANT_TBL* q = c.comp_info[i].quant_table;
    if (!q) continue;
    bool defined = false;
    for (UINT16 v : q->quantval) defined |= v != 0;
    if (!defined)
      throw DecodeError("JPEG codestream: quantization table " + std::to_string(c.comp_info[i].quant_tbl_no) +
                        " is used but not defined (PS3.5 A.4.1: the interchange format, tables included)");
  }
  if (!lj_rows(&s, &p)) fail(s);
}

#else  // built without libjpeg-turbo

struct JpegDecoder::State {};
std::string jpeg_library() { return ""; }
JpegDecoder::JpegDecoder() = default;
JpegDecoder::~JpegDecoder() = default;
bool JpegDecoder::supports(const ImageFrame&, const ImageTarget&) const { return false; }
void JpegDecoder::decode(ConstBytes, const ImageFrame&, const ImageTarget&) {
  throw std::invalid_argument(
      "framecodec was built without libjpeg-turbo (apt-get install libjpeg62-turbo-dev and "
      "rebuild)");
}

#endif

}  // namespace framecodec
