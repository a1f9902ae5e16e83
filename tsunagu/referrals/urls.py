from django.urls import path

from tsunagu.referrals import views

app_name = "referrals"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("offers/", views.offers_browse, name="offers"),
    path("offers/<str:ref>/", views.offer, name="offer"),
    path("case/<str:ref>/", views.board, name="board"),
    path("case/<str:ref>/send/", views.send, name="send"),
    path("case/<str:ref>/withdraw/", views.withdraw_all, name="withdraw_all"),
    path("<uuid:public_id>/", views.detail, name="detail"),
    path("<uuid:public_id>/answer/", views.answer, name="answer"),
    path("<uuid:public_id>/messages/", views.post_message, name="message"),
    path("<uuid:public_id>/confirm/", views.confirm, name="confirm"),
    path("<uuid:public_id>/withdraw/", views.withdraw, name="withdraw"),
    path("<uuid:public_id>/decline-offer/", views.decline_offer, name="decline_offer"),
]
