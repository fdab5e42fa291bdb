// Keras's mixed-precision dtype policies in configs: variables float32 (as in Keras), computed in
// float32 by strata, the policy kept and written back.
#include "support/helpers.hpp"

using namespace strata;
using namespace strata::testing;

TEST_CASE("mixed_float16 and mixed_bfloat16 policies load, compute in float32 and round-trip", "[layers][config]") {
  for (const char* policy : {"mixed_float16", "mixed_bfloat16"}) {
    INFO(policy);
    // Keras 3's form, and Keras 2's plain string
    for (const Config& dtype : {Config::object({{"module", "keras"},
                                                {"class_name", "DTypePolicy"},
                                                {"config", Config::object({{"name", policy}})},
                                                {"registered_name", Config()}}),
                                Config(policy)}) {
      const auto layer = layers::layer_from_config(Config::object(
          {{"class_name", "Dense"}, {"config", Config::object({{"name", "d"}, {"units", 3}, {"dtype", dtype}})}}));
      CHECK(layer->dtype() == DType::float32);
      CHECK(layer->dtype_policy() == policy);
      const Tensor y = (*layer)(Tensor::ones({2, 4}));
      CHECK(y.dtype() == DType::float32);
      CHECK(layer->weights()[0].dtype() == DType::float32);
      const Config back = layer->get_config();
      CHECK(back.at("dtype").as_string() == policy);
      CHECK(layers::layer_from_config(layers::serialize_layer(*layer))->dtype_policy() == policy);
    }
  }
  auto plain = std::make_shared<layers::Dense>(2);
  plain->set_dtype_policy("mixed_float16");
  plain->set_dtype_policy("float64");
  CHECK(plain->dtype() == DType::float64);
  CHECK(plain->dtype_policy().empty());
  CHECK(plain->get_config().at("dtype").as_string() == "float64");
  CHECK_THROWS_WITH(plain->set_dtype_policy("mixed_int8"), Catch::Contains("unknown dtype policy 'mixed_int8'"));
  CHECK_THROWS_WITH(layers::layer_from_config(Config::object(
                        {{"class_name", "Dense"}, {"config", Config::object({{"units", 3}, {"dtype", "float16"}})}})),
                    Catch::Contains("float16"));
}
