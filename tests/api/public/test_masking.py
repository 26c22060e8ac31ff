"""Masking of contact and identity details in public text: realistic Vietnamese formats, no false positives."""

import pytest

from api.public.masking import MASK, mask

MASKED = [
    ("Gọi tôi 0912 345 678 nhé", "0912 345 678"),
    ("SĐT: 0912.345.678", "0912.345.678"),
    ("liên hệ 0912-345-678", "0912-345-678"),
    ("số 0987654321.", "0987654321"),
    ("anh Nam 091 234 5678", "091 234 5678"),
    ("zalo +84 912345678", "+84 912345678"),
    ("+84912345678", "+84912345678"),
    ("gọi 84 912 345 678", "84 912 345 678"),
    ("tổ dân phố: 024 3825 1234", "024 3825 1234"),
    ("(024) 38251234", "(024) 38251234"),
    ("tổng đài 1900 1234", "1900 1234"),
    ("hotline 1800.599.920", "1800.599.920"),
    ("mail lan.nguyen@example.vn giúp", "lan.nguyen@example.vn"),
    ("Nguyen_Van.A+pa@gmail.com", "Nguyen_Van.A+pa@gmail.com"),
    ("CMND 012345678", "012345678"),
    ("CCCD: 001099012345", "001099012345"),
    ("căn cước 001 099 012345", "001 099 012345"),
    ("xe 29A-123.45 đỗ chắn cổng", "29A-123.45"),
    ("ô tô 30E 12345 đỗ trên vỉa hè", "30E 12345"),
    ("xe máy 29-B1 123.45 vượt đèn đỏ", "29-B1 123.45"),
    ("biển 29B1-12345", "29B1-12345"),
    ("xe 51F-1234 đỗ sai", "51F-1234"),
    ("taxi 29LD-012.34 dừng đỗ", "29LD-012.34"),
]

KEPT = [
    "Mã phản ánh HN-2026-000123 chưa được xử lý",
    "Ổ gà trước số 12 phố Hàng Bài",
    "nhà 12/34 ngõ 56 Kim Mã, tầng 3",
    "từ ngày 29/11/2026 đến 2026-12-01, lúc 19:30 và 7h30",
    "ngày 29-11-2026 khoảng 21h",
    "đã chi 150000000 đồng, phạt 1.200.000 đồng",
    "cây số 12, đường rộng 2.5 m, dài 300 m",
    "tuyến xe buýt 32 và 34, phường 00070",
    "nhiệt độ 38.5 độ, độ ẩm 90%",
]


@pytest.mark.parametrize(("text", "secret"), MASKED)
def test_masks_contact_and_identity_details(text, secret):
    masked = mask(text)
    assert secret not in masked and MASK in masked
    assert masked == text.replace(secret, MASK)


@pytest.mark.parametrize("text", KEPT)
def test_leaves_codes_house_numbers_dates_times_and_money_alone(text):
    assert mask(text) == text


def test_none_stays_none_and_several_details_are_all_masked():
    assert mask(None) is None
    text = "Gọi 0912345678 hoặc mail a@b.vn, xe 29A-123.45"
    assert mask(text) == f"Gọi {MASK} hoặc mail {MASK}, xe {MASK}"
