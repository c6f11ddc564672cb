#include "core/mask.h"

#include <gtest/gtest.h>

namespace bulkd::core {
namespace {

TEST(MaskNumberTest, KeepsTheFirstFiveAndLastFourCharacters) {
  EXPECT_EQ(MaskNumber("+821012345678"), "+8210****5678");
  EXPECT_EQ(MaskNumber("+12025550123"), "+1202***0123");
  EXPECT_EQ(MaskNumber("01012345678"), "01012**5678");
  EXPECT_EQ(MaskNumber("+123456789012345"), "+1234*******2345");
}

TEST(MaskNumberTest, StarsShortInputsWhole) {
  EXPECT_EQ(MaskNumber(""), "");
  EXPECT_EQ(MaskNumber("1"), "*");
  EXPECT_EQ(MaskNumber("+12345678"), "*********");
  EXPECT_EQ(MaskNumber("1234567890"), "12345*7890");
}

TEST(MaskNumberTest, NeverSplitsAMultiByteCharacter) {
  EXPECT_EQ(MaskNumber("가나다라마바사아자차카"), "가나다라마**아자차카");
}

TEST(MaskNumberTest, ReplacesControlCharactersAndInvalidBytesInTheVisibleParts) {
  EXPECT_EQ(MaskNumber("+82\n012345678"), "+82?0****5678");
  EXPECT_EQ(MaskNumber("+8210123456\xff"), "+8210***456?");
  EXPECT_EQ(MaskNumber(std::string_view("\0\0\0\0\0\0\0\0\0\0\0", 11)), "?????**????");
}

}  // namespace
}  // namespace bulkd::core
