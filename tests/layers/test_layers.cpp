// Every standard layer through the declarative layer test (shapes, weights, Keras's parameter
// counts, gradcheck on inputs and weights, config round trip, symbolic calls).
#include <set>

#include "support/layer_test.hpp"

using namespace strata;
using namespace strata::layers;
using namespace strata::testing;

namespace {
template <class L, class... Args>
std::function<std::shared_ptr<Layer>()> make(Args... args) {
  return [=] { return std::make_shared<L>(args...); };
}

template <class L, class F>
std::function<std::shared_ptr<Layer>()> make_with(F setup) {
  return [=] {
    auto l = setup();
    return std::static_pointer_cast<Layer>(l);
  };
}
}  // namespace

static std::vector<LayerCase> core_cases() {
  register_function("double_it", [](const Tensor& x) { return x * 2.0; });
  return {
      {"Dense", make<Dense>(4, ActivationFn("tanh")), {{3, 5}}, {{3, 4}}, 2, 0, 24},
      {"Dense 3-D input", make<Dense>(2), {{2, 3, 5}}, {{2, 3, 2}}, 2, 0, 12},
      {"Dense no bias", make_with<Dense>([] {
         auto d = std::make_shared<Dense>(3, ActivationFn("relu"), false);
         return d;
       }),
       {{4, 2}}, {{4, 3}}, 1, 0, 6},
      {"Activation", make<Activation>(ActivationFn("gelu")), {{3, 4}}, {{3, 4}}},
      {"Dropout (inference)", make<Dropout>(0.5), {{3, 4}}, {{3, 4}}},
      {"Flatten", make<Flatten>(), {{2, 3, 4}}, {{2, 12}}},
      {"Reshape", make<Reshape>(Shape{3, -1}), {{2, 12}}, {{2, 3, 4}}},
      {"Permute", make<Permute>(std::vector<std::int64_t>{2, 1}), {{2, 3, 4}}, {{2, 4, 3}}},
      {"RepeatVector", make<RepeatVector>(3), {{2, 4}}, {{2, 3, 4}}},
      {"Lambda", make<Lambda>(Lambda::Fn([](const Tensor& x) { return x * 2.0; }), std::string("double_it")),
       {{2, 3}}, {{2, 3}}},
      {"Embedding", make<Embedding>(10, 4), {{2, 5}}, {{2, 5, 4}}, 1, 0, 40, {DType::int64}},
      {"ReLU", make<ReLU>(), {{3, 4}}, {{3, 4}}},
      {"ReLU capped with slope", make<ReLU>(std::optional<double>(0.8), 0.1, 0.05), {{3, 4}}, {{3, 4}}},
      {"LeakyReLU", make<LeakyReLU>(0.3), {{3, 4}}, {{3, 4}}},
      {"ThresholdedReLU", make<ThresholdedReLU>(0.35), {{3, 4}}, {{3, 4}}},
      {"PReLU", make<PReLU>(), {{2, 5, 3}}, {{2, 5, 3}}, 1, 0, 15},
      {"PReLU shared", make<PReLU>(std::vector<std::int64_t>{1}), {{2, 5, 3}}, {{2, 5, 3}}, 1, 0, 3},
      {"ELU", make<ELU>(0.7), {{3, 4}}, {{3, 4}}},
      {"Softmax", make<Softmax>(1), {{2, 3, 4}}, {{2, 3, 4}}},
  };
}

static std::vector<LayerCase> conv_pooling_cases() {
  return {
      {"Conv2D", make<Conv2D>(3, Size2{3, 3}, Size2(1), std::string("same"), ActivationFn("relu")), {{2, 5, 5, 2}},
       {{2, 5, 5, 3}}, 2, 0, 3 * 3 * 2 * 3 + 3},
      {"Conv2D 1->32 3x3", make<Conv2D>(32, Size2(3)), {{1, 6, 6, 1}}, {{1, 4, 4, 32}}, 2, 0, 320},
      {"Conv2D strided", make<Conv2D>(2, Size2{2, 3}, Size2{2, 1}), {{1, 7, 6, 2}}, {{1, 3, 4, 2}}, 2, 0, 26},
      {"Conv1D causal", make<Conv1D>(8, 3, 1, std::string("causal")), {{2, 7, 4}}, {{2, 7, 8}}, 2, 0, 104},
      {"DepthwiseConv2D", make<DepthwiseConv2D>(Size2(3), Size2(1), std::string("valid"), 2), {{1, 5, 5, 4}},
       {{1, 3, 3, 8}}, 2, 0, 80},
      {"SeparableConv2D", make<SeparableConv2D>(8, Size2(3), Size2(1), std::string("same")), {{1, 4, 4, 4}},
       {{1, 4, 4, 8}}, 3, 0, 76},
      {"Conv2DTranspose", make<Conv2DTranspose>(8, Size2(3), Size2(2)), {{1, 3, 3, 4}}, {{1, 7, 7, 8}}, 2, 0, 296},
      {"Conv2DTranspose same", make<Conv2DTranspose>(2, Size2(3), Size2(2), std::string("same")), {{1, 3, 2, 1}},
       {{1, 6, 4, 2}}, 2, 0, 20},
      // output_padding (1, 0): OH = (3 - 1) * 2 + 3 - 2 * 1 + 1 = 6, OW = (2 - 1) * 2 + 3 - 2 = 3
      {"Conv2DTranspose output_padding", make_with<Conv2DTranspose>([] {
         auto l = std::make_shared<Conv2DTranspose>(2, Size2(3), Size2(2), std::string("same"));
         l->output_padding = Size2{1, 0};
         return l;
       }),
       {{1, 3, 2, 1}}, {{1, 6, 3, 2}}, 2, 0, 20},
      {"MaxPooling2D", make<MaxPooling2D>(Size2(2)), {{2, 4, 5, 3}}, {{2, 2, 2, 3}}},
      {"MaxPooling2D same", make<MaxPooling2D>(Size2(3), std::optional<Size2>(Size2(2)), std::string("same")),
       {{1, 5, 5, 2}}, {{1, 3, 3, 2}}},
      {"AveragePooling2D", make<AveragePooling2D>(Size2(2), std::optional<Size2>(Size2(1))), {{1, 3, 3, 2}},
       {{1, 2, 2, 2}}},
      {"MaxPooling1D", make<MaxPooling1D>(2), {{2, 7, 3}}, {{2, 3, 3}}},
      {"AveragePooling1D same", make<AveragePooling1D>(3, std::optional<std::int64_t>(2), std::string("same")),
       {{2, 7, 3}}, {{2, 4, 3}}},
      {"GlobalAveragePooling2D", make<GlobalAveragePooling2D>(), {{2, 3, 4, 5}}, {{2, 5}}},
      {"GlobalMaxPooling2D keepdims", make<GlobalMaxPooling2D>(true), {{2, 3, 4, 5}}, {{2, 1, 1, 5}}},
      {"GlobalAveragePooling1D", make<GlobalAveragePooling1D>(), {{2, 6, 3}}, {{2, 3}}},
      {"GlobalMaxPooling1D", make<GlobalMaxPooling1D>(), {{2, 6, 3}}, {{2, 3}}},
      {"UpSampling2D", make<UpSampling2D>(Size2{2, 3}), {{1, 2, 2, 2}}, {{1, 4, 6, 2}}},
      {"ZeroPadding2D", make<ZeroPadding2D>(std::pair<std::int64_t, std::int64_t>{1, 2},
                                            std::pair<std::int64_t, std::int64_t>{0, 1}),
       {{1, 2, 3, 2}}, {{1, 5, 4, 2}}},
  };
}

static std::vector<LayerCase> normalization_cases() {
  return {
      {"BatchNormalization (training)", make<BatchNormalization>(), {{6, 3, 4}}, {{6, 3, 4}}, 2, 2, 16, {}, 10, true,
       true},
      {"BatchNormalization (inference)", make<BatchNormalization>(), {{6, 4}}, {{6, 4}}, 2, 2, 16},
      {"BatchNormalization axis 1", make<BatchNormalization>(1), {{4, 3, 2}}, {{4, 3, 2}}, 2, 2, 12, {}, 10, true, true},
      {"LayerNormalization", make<LayerNormalization>(), {{3, 6}}, {{3, 6}}, 2, 0, 12},
      {"LayerNormalization two axes", make<LayerNormalization>(std::vector<std::int64_t>{-2, -1}), {{2, 3, 4}},
       {{2, 3, 4}}, 2, 0, 24},
      {"LayerNormalization rms_scaling", make_with<LayerNormalization>([] {
         auto l = std::make_shared<LayerNormalization>();
         l->rms_scaling = true;
         return l;
       }),
       {{3, 5}}, {{3, 5}}, 1, 0, 5},
      {"GroupNormalization", make<GroupNormalization>(2), {{2, 3, 4}}, {{2, 3, 4}}, 2, 0, 8},
      {"GroupNormalization instance, axis 1", make<GroupNormalization>(-1, 1), {{2, 3, 2, 2}}, {{2, 3, 2, 2}}, 2, 0, 6},
      {"UnitNormalization", make<UnitNormalization>(), {{3, 4}}, {{3, 4}}},
      {"UnitNormalization two axes", make<UnitNormalization>(std::vector<std::int64_t>{1, 2}), {{2, 3, 2}},
       {{2, 3, 2}}},
      {"RMSNormalization", make<RMSNormalization>(), {{2, 3, 4}}, {{2, 3, 4}}, 1, 0, 4},
  };
}

static std::vector<LayerCase> merge_cases() {
  return {
      {"Add", make<Add>(), {{2, 3}, {2, 3}, {2, 3}}, {{2, 3}}},
      {"Subtract", make<Subtract>(), {{2, 3}, {2, 3}}, {{2, 3}}},
      {"Multiply", make<Multiply>(), {{2, 3}, {2, 3}}, {{2, 3}}},
      {"Average", make<Average>(), {{2, 3}, {2, 3}}, {{2, 3}}},
      {"Maximum", make<Maximum>(), {{2, 3}, {2, 3}}, {{2, 3}}},
      {"Minimum", make<Minimum>(), {{2, 3}, {2, 3}}, {{2, 3}}},
      {"Concatenate", make<Concatenate>(-1), {{2, 3}, {2, 5}}, {{2, 8}}},
      {"Concatenate axis 1", make<Concatenate>(1), {{2, 3, 4}, {2, 1, 4}}, {{2, 4, 4}}},
      {"Dot", make<Dot>(1), {{2, 4}, {2, 4}}, {{2, 1}}},
      {"Dot normalized", make<Dot>(1, true), {{2, 4}, {2, 4}}, {{2, 1}}},
      {"Dot 3-D", make<Dot>(std::pair<std::int64_t, std::int64_t>{2, 1}), {{2, 3, 4}, {2, 4, 5}}, {{2, 3, 5}}},
  };
}

static std::vector<LayerCase> recurrent_cases() {
  auto seq = [](auto layer) {
    layer->return_sequences = true;
    return layer;
  };
  auto states = [](auto layer) {
    layer->return_state = true;
    return layer;
  };
  return {
      {"SimpleRNN", make<SimpleRNN>(3), {{2, 4, 5}}, {{2, 3}}, 3, 0, 5 * 3 + 3 * 3 + 3},
      {"SimpleRNN 8->32 params", make<SimpleRNN>(32), {{1, 2, 8}}, {{1, 32}}, 3, 0, 1312, {}, 10, false},
      {"LSTM", make<LSTM>(3), {{2, 4, 5}}, {{2, 3}}, 3, 0, 4 * (5 * 3 + 3 * 3 + 3)},
      {"LSTM 8->32 params", make<LSTM>(32), {{1, 2, 8}}, {{1, 32}}, 3, 0, 5248, {}, 10, false},
      {"LSTM sequences", make_with<LSTM>([=] { return seq(std::make_shared<LSTM>(2)); }), {{2, 3, 4}}, {{2, 3, 2}}, 3,
       0},
      {"LSTM state", make_with<LSTM>([=] { return states(std::make_shared<LSTM>(2)); }), {{2, 3, 4}},
       {{2, 2}, {2, 2}, {2, 2}}, 3, 0},
      {"LSTM backwards", make_with<LSTM>([] {
         auto l = std::make_shared<LSTM>(2);
         l->go_backwards = true;
         l->return_sequences = true;
         return l;
       }),
       {{2, 3, 4}}, {{2, 3, 2}}, 3, 0},
      {"LSTM initial state", make_with<LSTM>([=] { return states(std::make_shared<LSTM>(2)); }),
       {{2, 3, 4}, {2, 2}, {2, 2}}, {{2, 2}, {2, 2}, {2, 2}}, 3, 0},
      {"GRU reset_after", make<GRU>(3), {{2, 4, 5}}, {{2, 3}}, 3, 0, 3 * (5 * 3 + 3 * 3) + 2 * 9},
      {"GRU 8->32 params", make<GRU>(32), {{1, 2, 8}}, {{1, 32}}, 3, 0, 4032, {}, 10, false},
      {"GRU reset_before", make<GRU>(3, ActivationFn("tanh"), ActivationFn("hard_sigmoid"), false), {{2, 4, 5}},
       {{2, 3}}, 3, 0, 3 * (5 * 3 + 3 * 3 + 3)},
      {"GRU state sequences", make_with<GRU>([=] { return states(seq(std::make_shared<GRU>(2))); }), {{2, 3, 4}},
       {{2, 3, 2}, {2, 2}}, 3, 0},
      {"Bidirectional LSTM concat", make_with<Bidirectional>([=] {
         return std::make_shared<Bidirectional>(LayerRef(seq(std::make_shared<LSTM>(2))));
       }),
       {{2, 3, 4}}, {{2, 3, 4}}, 6, 0},
      {"Bidirectional GRU sum with state", make_with<Bidirectional>([=] {
         return std::make_shared<Bidirectional>(LayerRef(states(std::make_shared<GRU>(2))), "sum");
       }),
       {{2, 3, 4}}, {{2, 2}, {2, 2}, {2, 2}}, 6, 0},
      {"TimeDistributed Dense", make_with<TimeDistributed>([] {
         return std::make_shared<TimeDistributed>(LayerRef(std::make_shared<Dense>(3)));
       }),
       {{2, 4, 5}}, {{2, 4, 3}}, 2, 0, 18},
      {"TimeDistributed Conv2D", make_with<TimeDistributed>([] {
         return std::make_shared<TimeDistributed>(LayerRef(std::make_shared<Conv2D>(2, Size2(2))));
       }),
       {{1, 2, 3, 3, 1}}, {{1, 2, 2, 2, 2}}, 2, 0, 10},
  };
}

// Identity at inference (gradchecked there); in training mode each call draws new noise, so
// those rows check shapes and empty batches (tests/layers/test_noise_layers.cpp checks values).
static std::vector<LayerCase> noise_cases() {
  const std::optional<std::uint64_t> seed = 3;
  return {
      {"GaussianNoise", make<GaussianNoise>(0.3, seed), {{3, 4}}, {{3, 4}}},
      {"GaussianNoise (training)", make<GaussianNoise>(0.3, seed), {{3, 4}}, {{3, 4}}, 0, 0, 0, {}, 10, false, true},
      {"GaussianDropout", make<GaussianDropout>(0.2), {{2, 3, 4}}, {{2, 3, 4}}},
      {"GaussianDropout (training)", make<GaussianDropout>(0.2, seed), {{2, 3, 4}}, {{2, 3, 4}}, 0, 0, 0, {}, 10,
       false, true},
      {"AlphaDropout", make<AlphaDropout>(0.1), {{3, 4}}, {{3, 4}}},
      {"AlphaDropout (training, noise_shape)", make<AlphaDropout>(0.1, std::vector<std::int64_t>{-1, 1}, seed),
       {{3, 4}}, {{3, 4}}, 0, 0, 0, {}, 10, false, true},
      {"SpatialDropout1D", make<SpatialDropout1D>(0.5), {{2, 5, 3}}, {{2, 5, 3}}},
      {"SpatialDropout1D (training)", make<SpatialDropout1D>(0.5, seed), {{2, 5, 3}}, {{2, 5, 3}}, 0, 0, 0, {}, 10,
       false, true},
      {"SpatialDropout2D", make<SpatialDropout2D>(0.5), {{2, 3, 3, 2}}, {{2, 3, 3, 2}}},
      {"SpatialDropout2D channels_first (training)", make<SpatialDropout2D>(0.5, std::string("channels_first"), seed),
       {{2, 2, 3, 3}}, {{2, 2, 3, 3}}, 0, 0, 0, {}, 10, false, true},
      {"SpatialDropout3D", make<SpatialDropout3D>(0.5), {{1, 2, 2, 2, 3}}, {{1, 2, 2, 2, 3}}},
      {"ActivityRegularization", make<ActivityRegularization>(0.01, 0.02), {{3, 4}}, {{3, 4}}, 0, 0, 0},
  };
}

static std::vector<LayerCase> reshaping_cases() {
  using P = std::pair<std::int64_t, std::int64_t>;
  const std::string cf = "channels_first";
  return {
      {"Cropping1D", make<Cropping1D>(P{1, 2}), {{2, 6, 3}}, {{2, 3, 3}}},
      {"Cropping2D", make<Cropping2D>(P{1, 0}, P{0, 2}), {{2, 4, 5, 3}}, {{2, 3, 3, 3}}},
      {"Cropping2D channels_first", make<Cropping2D>(P{1, 0}, P{0, 2}, cf), {{2, 3, 4, 5}}, {{2, 3, 3, 3}}},
      {"Cropping3D", make<Cropping3D>(1), {{1, 3, 4, 5, 2}}, {{1, 1, 2, 3, 2}}},
      {"ZeroPadding1D", make<ZeroPadding1D>(P{2, 1}), {{2, 3, 2}}, {{2, 6, 2}}},
      {"ZeroPadding2D channels_first", make<ZeroPadding2D>(P{1, 0}, P{0, 2}, cf), {{1, 2, 3, 3}}, {{1, 2, 4, 5}}},
      {"ZeroPadding3D", make<ZeroPadding3D>(P{1, 0}, P{0, 1}, P{1, 1}), {{1, 2, 2, 2, 1}}, {{1, 3, 3, 4, 1}}},
      {"UpSampling1D", make<UpSampling1D>(3), {{2, 3, 2}}, {{2, 9, 2}}},
      {"UpSampling2D bilinear", make<UpSampling2D>(Size2{2, 3}, std::string("bilinear")), {{1, 3, 2, 2}},
       {{1, 6, 6, 2}}},
      {"UpSampling2D nearest channels_first", make<UpSampling2D>(Size2{2, 1}, std::string("nearest"), cf),
       {{1, 2, 3, 2}}, {{1, 2, 6, 2}}},
      {"UpSampling3D", make<UpSampling3D>(std::vector<std::int64_t>{1, 2, 2}), {{1, 2, 2, 3, 1}}, {{1, 2, 4, 6, 1}}},
      {"Identity", make<Identity>(), {{2, 3}}, {{2, 3}}},
  };
}

static std::vector<LayerCase> preprocessing_cases() {
  const std::vector<DType> ints = {DType::int64};
  return {
      {"Normalization (adapt weights)", make<Normalization>(), {{4, 3}}, {{4, 3}}, 0, 3, 7},
      {"Normalization given, two kept axes",
       make<Normalization>(std::vector<std::int64_t>{1, 2}, std::vector<double>{1, 2, 3, 4, 5, 6},
                           std::vector<double>{1, 4, 9, 1, 4, 9}),
       {{2, 2, 3}}, {{2, 2, 3}}},
      {"Normalization invert, no axis", make<Normalization>(std::vector<std::int64_t>{}, std::vector<double>{2},
                                                            std::vector<double>{4}, true),
       {{2, 3}}, {{2, 3}}},
      {"Rescaling", make<Rescaling>(1.0 / 255, -0.5), {{2, 3}}, {{2, 3}}},
      {"Rescaling per channel", make<Rescaling>(std::vector<double>{1, 2, 3}, std::vector<double>{0}), {{2, 4, 3}},
       {{2, 4, 3}}},
      {"CategoryEncoding multi_hot", make<CategoryEncoding>(6), {{3, 2}}, {{3, 6}}, 0, 0, 0, ints, 6, false},
      {"CategoryEncoding one_hot", make<CategoryEncoding>(5, std::string("one_hot")), {{4}}, {{4, 5}}, 0, 0, 0, ints,
       5, false},
      {"Discretization", make<Discretization>(std::vector<double>{-0.5, 0, 0.5}), {{3, 4}}, {{3, 4}}, 0, 0, 0, {}, 10,
       false, false, {DType::int64}},
  };
}

static std::vector<LayerCase> pooling_nd_cases() {
  using V = std::vector<std::int64_t>;
  const std::string cf = "channels_first";
  return {
      {"MaxPooling3D", make<MaxPooling3D>(), {{2, 4, 4, 2, 3}}, {{2, 2, 2, 1, 3}}},
      {"AveragePooling3D same, strides", make<AveragePooling3D>(V{2, 3, 2}, std::optional<V>(V{1, 2, 2}),
                                                                 std::string("same")),
       {{1, 3, 5, 3, 2}}, {{1, 3, 3, 2, 2}}},
      {"MaxPooling3D channels_first", make<MaxPooling3D>(V{1, 2, 2}, std::nullopt, std::string("valid"), cf),
       {{1, 2, 3, 4, 4}}, {{1, 2, 3, 2, 2}}},
      {"GlobalAveragePooling3D", make<GlobalAveragePooling3D>(), {{2, 2, 3, 2, 4}}, {{2, 4}}},
      {"GlobalMaxPooling3D keepdims channels_first", make<GlobalMaxPooling3D>(true, cf), {{2, 4, 2, 3, 2}},
       {{2, 4, 1, 1, 1}}},
      {"AdaptiveAveragePooling1D", make<AdaptiveAveragePooling1D>(V{3}), {{2, 5, 2}}, {{2, 3, 2}}},
      {"AdaptiveAveragePooling2D", make<AdaptiveAveragePooling2D>(V{2, 3}), {{1, 5, 7, 2}}, {{1, 2, 3, 2}}},
      {"AdaptiveAveragePooling3D", make<AdaptiveAveragePooling3D>(V{2, 2, 1}), {{1, 3, 4, 2, 1}}, {{1, 2, 2, 1, 1}}},
      {"AdaptiveMaxPooling1D", make<AdaptiveMaxPooling1D>(V{2}), {{2, 5, 3}}, {{2, 2, 3}}},
      {"AdaptiveMaxPooling2D channels_first", make<AdaptiveMaxPooling2D>(V{2, 2}, cf), {{1, 3, 5, 4}}, {{1, 3, 2, 2}}},
      {"AdaptiveMaxPooling3D", make<AdaptiveMaxPooling3D>(V{1, 2, 2}), {{1, 2, 3, 4, 2}}, {{1, 1, 2, 2, 2}}},
  };
}

static std::vector<LayerCase> attention_cases() {
  auto mha = [](bool causal, bool scores) {
    return [=] {
      auto l = std::make_shared<MultiHeadAttention>(2, 2);
      l->use_causal_mask = causal;
      l->return_attention_scores = scores;
      return std::static_pointer_cast<Layer>(l);
    };
  };
  return {
      // Keras's example: query [B, 8, 16], value [B, 4, 16] -> [B, 8, 16], scores [B, 2, 8, 4]; 284 params
      {"MultiHeadAttention", mha(false, true), {{1, 8, 16}, {1, 4, 16}}, {{1, 8, 16}, {1, 2, 8, 4}}, 8, 0, 284, {}, 10,
       false},
      {"MultiHeadAttention self, causal", mha(true, false), {{2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}}, 8, 0},
      {"MultiHeadAttention key", [] {
         return std::static_pointer_cast<Layer>(std::make_shared<MultiHeadAttention>(1, 3, std::optional<std::int64_t>(2)));
       },
       {{2, 3, 4}, {2, 2, 5}, {2, 2, 6}}, {{2, 3, 4}}, 8, 0},
  };
}

TEST_CASE("core layers", "[layers]") {
  for (const auto& c : core_cases()) run_layer_test(c);
}
TEST_CASE("convolution and pooling layers", "[layers]") {
  for (const auto& c : conv_pooling_cases()) run_layer_test(c);
}
TEST_CASE("normalization layers", "[layers]") {
  for (const auto& c : normalization_cases()) run_layer_test(c);
}
TEST_CASE("merge layers", "[layers]") {
  for (const auto& c : merge_cases()) run_layer_test(c);
}
TEST_CASE("recurrent layers and wrappers", "[layers]") {
  for (const auto& c : recurrent_cases()) run_layer_test(c);
}
TEST_CASE("3-D and adaptive pooling layers", "[layers]") {
  for (const auto& c : pooling_nd_cases()) run_layer_test(c);
}
TEST_CASE("preprocessing layers", "[layers]") {
  for (const auto& c : preprocessing_cases()) run_layer_test(c);
}
TEST_CASE("reshaping layers", "[layers]") {
  for (const auto& c : reshaping_cases()) run_layer_test(c);
}
TEST_CASE("noise and regularization layers", "[layers]") {
  for (const auto& c : noise_cases()) run_layer_test(c);
}
TEST_CASE("multi-head attention", "[layers]") {
  for (const auto& c : attention_cases()) run_layer_test(c);
}

TEST_CASE("every built-in registered layer class has a run_layer_test row", "[layers][registry]") {
  std::set<std::string> covered;
  for (auto table : {core_cases, conv_pooling_cases, normalization_cases, merge_cases, recurrent_cases, attention_cases,
                     noise_cases, reshaping_cases, preprocessing_cases,
                     pooling_nd_cases})
    for (const auto& c : table()) covered.insert(c.make()->class_name());
  // the model classes and InputLayer are covered by the model tests (tests/models/)
  const std::set<std::string> models = {"Functional", "Model", "Sequential", "InputLayer"};
  std::string missing;
  for (const std::string& cls : builtin_layer_classes())
    if (!covered.count(cls) && !models.count(cls)) missing += " " + cls;
  INFO("registered classes without a LayerCase row:" << missing);
  CHECK(missing.empty());
  CHECK(builtin_layer_classes().size() > 40);
}
